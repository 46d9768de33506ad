#include "guest/guest_io.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include "common/protocol.h"

using namespace kgrid;

namespace {
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}
}  // namespace

TEST_CASE("a record is written twice, both copies decode to the same seq") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  guest::UniqueFd r(fds[0]), w(fds[1]);
  CHECK(guest::send_record(w.get(), "0123456789abcdef", 4, "END",
                           {{"status", "runner_crashed"}, {"reason", "killed by signal 11"}}));
  w.reset();
  std::string text = drain(r.get());
  size_t nl = text.find('\n');
  REQUIRE(nl != std::string::npos);
  std::string first = text.substr(0, nl + 1), second = text.substr(nl + 1);
  CHECK(first == second);
  auto d = protocol::decode_line(first, "0123456789abcdef");
  REQUIRE(d.status == protocol::DecodeStatus::Ok);
  CHECK(d.record.seq == 4);
  CHECK(d.record.type == "END");
  CHECK(d.record.get("reason") == "killed by signal 11");
}

TEST_CASE("UniqueFd closes on reset and moves ownership") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  guest::UniqueFd a(fds[0]);
  guest::UniqueFd b(std::move(a));
  CHECK_FALSE(a.valid());
  CHECK(b.get() == fds[0]);
  b.reset();
  CHECK(::close(fds[0]) == -1);  // already closed
  ::close(fds[1]);
}

TEST_CASE("clocks move forward") {
  int64_t a = guest::monotonic_ms();
  CHECK(guest::boottime_ms() >= a);  // boottime includes suspend, never less
  CHECK(guest::monotonic_ms() >= a);
}
