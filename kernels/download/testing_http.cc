#include "kernels/download/testing_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace kgrid::kernels::testing {

TestHttpServer::TestHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!listen_fd_.valid() || ::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_.get(), 8) != 0) {
    throw std::runtime_error("TestHttpServer: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("TestHttpServer: pipe2 failed");
  stop_read_.reset(p[0]);
  stop_write_.reset(p[1]);
  thread_ = std::thread([this] { serve(); });
}

TestHttpServer::~TestHttpServer() {
  (void)!::write(stop_write_.get(), "x", 1);
  thread_.join();
}

std::string TestHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void TestHttpServer::serve() {
  for (;;) {
    pollfd p[2] = {{listen_fd_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) return;
    if (p[1].revents) return;
    UniqueFd client(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (client.valid()) answer(client.get());
  }
}

void TestHttpServer::answer(int client) {
  std::string req;
  char buf[4096];
  while (req.find("\r\n\r\n") == std::string::npos) {
    pollfd q[2] = {{client, POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(q, 2, 5000) <= 0 || q[1].revents) return;
    ssize_t n = ::read(client, buf, sizeof buf);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  const std::string path = req.substr(4, req.find(' ', 4) - 4);  // "GET <path> HTTP/1.1"
  const std::string resp = handler_(path);
  // A client that stops reading (a fetch that ends early) closes the
  // connection: the send fails and the next request is served.
  for (size_t done = 0; done < resp.size();) {
    pollfd q[2] = {{client, POLLOUT, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(q, 2, 10000) <= 0 || q[1].revents) return;
    ssize_t n = ::send(client, resp.data() + done, resp.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
  ::shutdown(client, SHUT_RDWR);
}

std::string http_ok(std::string_view body, size_t claimed_length) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(claimed_length) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

std::string http_ok(std::string_view body) { return http_ok(body, body.size()); }

}  // namespace kgrid::kernels::testing
