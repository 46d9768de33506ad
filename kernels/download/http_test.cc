#include "kernels/download/http.h"

#include <doctest/doctest.h>

#include <map>

#include "kernels/sha256.h"
#include "kernels/testing.h"
#include "kernels/download/testing_http.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {

// Canned raw responses by path; anything else is a 500.
TestHttpServer::Handler canned(std::map<std::string, std::string> responses) {
  return [responses = std::move(responses)](const std::string& path) {
    auto it = responses.find(path);
    return it != responses.end() ? it->second : "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n";
  };
}

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) (void)e, ++n;
  return n;
}

}  // namespace

TEST_CASE("downloads land whole, with their SHA-256, or not at all") {
  const std::string body(100000, 'k');
  TestHttpServer server(canned({{"/ok", http_ok(body)},
                                {"/missing", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"},
                                {"/cut", http_ok(body.substr(0, 1000), body.size())}}));
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
