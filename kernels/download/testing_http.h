// Test-only: a small HTTP/1.1 server on 127.0.0.1 for kernels_test. Each
// request's path goes to a handler that returns the raw response (status
// line, headers, body), so a test can answer with errors, a body shorter
// than its Content-Length (a transfer that breaks off), or files of a fake
// mirror. One connection at a time, closed after each response; the server
// stops when the object goes away.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "common/unique_fd.h"

namespace kgrid::kernels::testing {

class TestHttpServer {
 public:
  using Handler = std::function<std::string(const std::string& path)>;
  explicit TestHttpServer(Handler handler);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  std::string url(const std::string& path = "") const;  // "http://127.0.0.1:<port><path>"

 private:
  void serve();
  void answer(int client);

  Handler handler_;
  UniqueFd listen_fd_;
  UniqueFd stop_read_, stop_write_;  // a pipe: written to stop serve()
  int port_ = 0;
  std::thread thread_;
};

// "200 OK" with `claimed_length` as Content-Length (more than body.size()
// makes a transfer that breaks off).
std::string http_ok(std::string_view body, size_t claimed_length);
std::string http_ok(std::string_view body);

}  // namespace kgrid::kernels::testing
