#include "kernels/download/http_stream.h"

#include <doctest/doctest.h>

#include "kernels/sha256.h"
#include "kernels/testing.h"
#include "kernels/download/testing_http.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

namespace {

// Reads the stream to its end.
std::string drain(HttpStream& s) {
  std::string all;
  for (;;) {
    auto chunk = s.next();
    REQUIRE_MESSAGE(chunk.ok(), why(chunk));
    if (chunk->empty()) return all;
    all += *chunk;
  }
}

}  // namespace

TEST_CASE("a stream hands over every byte and checks size and SHA-256 at the end") {
  const std::string body = random_bytes(3 << 20, 7);
  TestHttpServer server([&](const std::string&) { return http_ok(body); });
  DownloadOptions o;
  o.expected_size = body.size();
  o.expected_sha256 = sha256_hex(body);
  HttpStream s(server.url("/x"), o);
  CHECK(drain(s) == body);
  auto done = s.finish();
  REQUIRE_MESSAGE(done.ok(), why(done));
  CHECK(done->size == body.size());
  CHECK(done->sha256 == sha256_hex(body));
  CHECK(s.bytes_received() == body.size());

  o.expected_sha256 = std::string(64, '0');
  HttpStream wrong(server.url("/x"), o);
  auto bad = wrong.finish();  // nothing read: the rest is hashed, not handed over
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("SHA-256 mismatch") != std::string::npos);
}

TEST_CASE("abort stops the transfer early; finish after a partial read still hashes everything") {
  const std::string body = random_bytes(8 << 20, 7);
  TestHttpServer server([&](const std::string&) { return http_ok(body); });
  {
    HttpStream s(server.url("/big"));
    auto first = s.next();
    REQUIRE_MESSAGE(first.ok(), why(first));
    CHECK_FALSE(first->empty());
    s.abort();
    CHECK(s.bytes_received() < body.size() / 2);
    CHECK_FALSE(s.next().ok());  // stopped
  }
  {
    DownloadOptions o;
    o.expected_sha256 = sha256_hex(body);
    HttpStream s(server.url("/big"), o);
    REQUIRE(s.next().ok());
    auto done = s.finish();
    REQUIRE_MESSAGE(done.ok(), why(done));
    CHECK(done->size == body.size());
  }
  {
    HttpStream s(server.url("/big"));  // destroyed unread: aborts and joins
  }
}

TEST_CASE("a stream that breaks off, a missing file or too many bytes is an error naming the URL") {
  const std::string body = random_bytes(2 << 20, 7);
  TestHttpServer server([&](const std::string& path) {
    if (path == "/cut") return http_ok(std::string_view(body).substr(0, body.size() / 2), body.size());
    if (path == "/ok") return http_ok(body);
    return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  });
  HttpStream cut(server.url("/cut"));
  std::string got;
  kgrid::Result<std::string_view> chunk = std::string_view();
  while ((chunk = cut.next()) && !chunk->empty()) got += *chunk;
  REQUIRE_FALSE(chunk.ok());
  CHECK(chunk.error().message.find(server.url("/cut")) != std::string::npos);
  CHECK(got.size() < body.size());
  CHECK_FALSE(cut.finish().ok());

  HttpStream missing(server.url("/missing"));
  auto m = missing.next();
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message.find("HTTP 404") != std::string::npos);

  DownloadOptions small;
  small.expected_size = 1000;
  HttpStream big(server.url("/ok"), small);
  auto b = big.finish();
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message.find("more than the expected 1000 bytes") != std::string::npos);
  CHECK(big.bytes_received() <= 1000);
}

TEST_CASE("file:// URLs stream too, and can be stopped early") {
  ScratchDir d;
  const std::string body = random_bytes(6 << 20, 7);
  write_file(d.path() / "f", body);
  HttpStream s("file://" + (d.path() / "f").string());
  REQUIRE(s.next().ok());
  s.abort();
  CHECK(s.bytes_received() < body.size() / 2);
  HttpStream whole("file://" + (d.path() / "f").string());
  CHECK(drain(whole) == body);
}
