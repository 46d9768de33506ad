#include "testrunner/consumer_format.h"

#include <doctest/doctest.h>

using namespace kgrid::testrunner;

TEST_CASE("kgrid format: stats, per-pid counts and the done line") {
  auto f = make_consumer_format("kgrid");
  REQUIRE(f);
  ProbeReport r = f->parse(
      "kgrid-probe: ready\n"
      "kgrid-probe: stat events=5012 drops=0 lost=0\n"
      "kgrid-probe: count tgid=57 nr=110 n=5000\n"
      "kgrid-probe: count tgid=1 nr=61 n=12\n"
      "kgrid-probe: done\n",
      "");
  CHECK(r.done);
  CHECK(r.problems.empty());
  CHECK(r.stats.at("events") == 5012);
  CHECK(r.stats.at("drops") == 0);
  CHECK(r.counts.at({57, 110}) == 5000);
  CHECK(r.counts.at({1, 61}) == 12);
}

TEST_CASE("kgrid format: a missing done line and malformed lines are reported") {
  auto f = make_consumer_format("kgrid");
  ProbeReport r = f->parse("kgrid-probe: stat events=x\nkgrid-probe: count tgid=1 n=2\n", "");
  CHECK_FALSE(r.done);
  CHECK(r.problems.size() == 2);
  CHECK(f->done_marker() == "kgrid-probe: done");
}

TEST_CASE("unknown formats are refused") { CHECK(make_consumer_format("nope") == nullptr); }
