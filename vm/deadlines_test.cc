#include "vm/deadlines.h"

#include <doctest/doctest.h>

using namespace kgrid::host;

TEST_CASE("before BEGIN the boot deadline is the first to expire") {
  Deadlines d;
  d.boot_s = 90;
  d.inactivity_s = 120;
  VmMoments m;  // started and last output at 0
  CHECK(seconds_to_next_deadline(d, m, 10) == doctest::Approx(80));
  CHECK_FALSE(expired(d, m, 89.9));
  auto e = expired(d, m, 90);
  REQUIRE(e);
  CHECK(e->kind == EndKind::BootDeadline);
  CHECK(e->limit_s == 90);
}

TEST_CASE("a running test gets its own timeout plus the grace, and output keeps the VM alive") {
  Deadlines d;
  d.test_grace_s = 20;
  d.inactivity_s = 90;
  VmMoments m;
  m.begin_at = 2;
  m.test_started_at = 5;
  m.test_timeout_s = 30;
  m.last_output = 50;
  CHECK(seconds_to_next_deadline(d, m, 50) == doctest::Approx(5));
  CHECK_FALSE(expired(d, m, 54));
  auto e = expired(d, m, 55);
  REQUIRE(e);
  CHECK(e->kind == EndKind::TestDeadline);
  CHECK(e->limit_s == 50);
}

TEST_CASE("silence ends the VM after the inactivity limit, counted from the last output") {
  Deadlines d;
  d.inactivity_s = 90;
  VmMoments m;
  m.begin_at = 2;
  m.last_output = 100;
  CHECK_FALSE(expired(d, m, 189));
  auto e = expired(d, m, 190);
  REQUIRE(e);
  CHECK(e->kind == EndKind::Inactivity);
}

TEST_CASE("a crash outranks every other deadline once its trace has lingered") {
  Deadlines d;
  d.crash_linger_s = 3;
  VmMoments m;  // no BEGIN: the boot deadline is also past
  m.crash_at = 100;
  auto e = expired(d, m, 103);
  REQUIRE(e);
  CHECK(e->kind == EndKind::Exited);
  CHECK(e->limit_s == 3);
}

TEST_CASE("after END the VM gets shutdown_s to exit, and the whole run has its own limit") {
  Deadlines d;
  d.shutdown_s = 15;
  d.run_s = 900;
  VmMoments m;
  m.begin_at = 1;
  m.end_at = 20;
  m.last_output = 20;
  auto e = expired(d, m, 35);
  REQUIRE(e);
  CHECK(e->kind == EndKind::RunDeadline);
  CHECK(e->limit_s == 15);
  VmMoments busy;
  busy.begin_at = 1;
  busy.last_output = 899;
  auto run = expired(d, busy, 900);
  REQUIRE(run);
  CHECK(run->limit_s == 900);
}
