#include "kernels/http.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "kernels/sha256.h"
#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {

// A tiny HTTP server on 127.0.0.1 that answers each request path with a
// canned raw response, serves at most `max_requests` requests and gives up
// after a few seconds without a connection.
class CannedServer {
 public:
  CannedServer(std::map<std::string, std::string> responses, int max_requests)
      : responses_(std::move(responses)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, max_requests] { serve(max_requests); });
  }
  ~CannedServer() {
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void serve(int max_requests) {
    for (int i = 0; i < max_requests; ++i) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) break;
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string path = req.substr(4, req.find(' ', 4) - 4);  // "GET <path> HTTP/1.1"
      auto it = responses_.find(path);
      std::string resp = it != responses_.end() ? it->second
                                                 : "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n";
      (void)!::write(c, resp.data(), resp.size());
      ::shutdown(c, SHUT_RDWR);
      ::close(c);
    }
  }

  std::map<std::string, std::string> responses_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string ok_response(const std::string& body, size_t claimed_length) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(claimed_length) +
         "\r\nConnection: close\r\n\r\n" + body;
}

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) (void)e, ++n;
  return n;
}

}  // namespace

TEST_CASE("downloads land whole, with their SHA-256, or not at all") {
  const std::string body(100000, 'k');
  CannedServer server({{"/ok", ok_response(body, body.size())},
                       {"/missing", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"},
                       {"/cut", ok_response(body.substr(0, 1000), body.size())}},
                      5);
  ScratchDir d;

  auto got = download(server.url("/ok"), d.path() / "sub" / "ok.bin");
  REQUIRE_MESSAGE(got.ok(), why(got));
  CHECK(got->size == body.size());
  CHECK(got->sha256 == sha256_hex(body));
  CHECK(slurp(d.path() / "sub" / "ok.bin") == body);

  auto missing = download(server.url("/missing"), d.path() / "missing.bin");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("HTTP 404") != std::string::npos);
  CHECK(missing.error().message.find(server.url("/missing")) != std::string::npos);

  auto cut = download(server.url("/cut"), d.path() / "cut.bin");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().message.find(server.url("/cut")) != std::string::npos);

  DownloadOptions wrong;
  wrong.expected_sha256 = std::string(64, '0');
  auto mismatch = download(server.url("/ok"), d.path() / "mismatch.bin", wrong);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().message.find("SHA-256 mismatch") != std::string::npos);

  DownloadOptions right;
  right.expected_sha256 = sha256_hex(body);
  right.expected_size = body.size() + 1;
  auto badsize = download(server.url("/ok"), d.path() / "badsize.bin", right);
  REQUIRE_FALSE(badsize.ok());
  CHECK(badsize.error().message.find("expected") != std::string::npos);

  // Only the one good file exists: no partial or temporary files.
  CHECK(entries(d.path()) == 1);
  CHECK(entries(d.path() / "sub") == 1);
}

TEST_CASE("file:// URLs work and a missing file is an error") {
  ScratchDir d;
  write_file(d.path() / "src", "hello");
  auto got = download("file://" + (d.path() / "src").string(), d.path() / "dst");
  REQUIRE_MESSAGE(got.ok(), why(got));
  CHECK(got->sha256 == sha256_hex("hello"));
  auto missing = download("file://" + (d.path() / "nope").string(), d.path() / "dst2");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("nope") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path() / "dst2"));
}

TEST_CASE("SHA-256 matches known vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
