#include "testrunner/cost.h"

#include <doctest/doctest.h>

using namespace kgrid;
using namespace kgrid::testrunner;

TEST_CASE("parse_bench reads kgrid-gen --bench output") {
  auto r = parse_bench(
      "kgrid-gen: pid=42\n"
      "kgrid-gen: bench syscall=getppid nr=110 ops=20000 ns=18123456 ns_per_op=906.17\n"
      "kgrid-gen: done\n");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].ops == 20000);
  CHECK((*r)[0].ns == 18123456);
  CHECK((*r)[0].ns_per_op() == doctest::Approx(906.1728));
  // ns_per_op is for people: ops and ns are exact, and enough. Rounds in order.
  r = parse_bench("kgrid-gen: bench ops=4 ns=10\r\nkgrid-gen: bench ops=4 ns=12\r\nkgrid-gen: done\r\n");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].ns_per_op() == 2.5);
  CHECK((*r)[1].ns_per_op() == 3);
}

TEST_CASE("parse_bench: the running time, without preemptions, and the wall time") {
  auto r = parse_bench(
      "kgrid-gen: pid=42\n"
      "kgrid-gen: bench syscall=getppid nr=110 ops=10000 ns=18123456 ns_per_op=1812.35 running_ns=9061728 "
      "chunks=200 preempted=3\n"
      "kgrid-gen: done\n");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].ns == 18123456);
  CHECK((*r)[0].running_ns == 9061728);
  CHECK((*r)[0].ns_per_op() == doctest::Approx(906.1728));
  CHECK((*r)[0].wall_ns_per_op() == doctest::Approx(1812.3456));
  CHECK((*r)[0].chunks == 200);
  CHECK((*r)[0].preempted == 3);
  CHECK((*r)[0].ref_ns == 0);
  CHECK((*r)[0].relative_cost() == 0);
  r = parse_bench("kgrid-gen: bench ops=10 ns=500 running_ns=400 ref_ns=200 chunks=1 preempted=0\nkgrid-gen: done\n");
  REQUIRE(r.ok());
  CHECK((*r)[0].relative_cost() == 2);
  CHECK_FALSE(parse_bench("kgrid-gen: bench ops=1 ns=5 running_ns=x\nkgrid-gen: done\n").ok());
  CHECK_FALSE(parse_bench("kgrid-gen: bench ops=1 ns=5 ref_ns=-3\nkgrid-gen: done\n").ok());
  CHECK_FALSE(parse_bench("kgrid-gen: bench ops=1 ns=5 preempted=-1\nkgrid-gen: done\n").ok());
}

TEST_CASE("parse_bench refuses what is not a complete round") {
  auto why = [](std::string_view out) {
    auto r = parse_bench(out);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  CHECK(why("") == "no 'kgrid-gen: bench' line in the benchmark's output");
  CHECK(why("kgrid-gen: pid=1\nkgrid-gen: syscall nr=110 name=getppid n=5\nkgrid-gen: done\n") ==
        "no 'kgrid-gen: bench' line in the benchmark's output");
  CHECK(why("kgrid-gen: bench ops=10 ns=100\n") == "the benchmark's output has no 'kgrid-gen: done'");
  CHECK(why("kgrid-gen: bench ops=10\nkgrid-gen: done\n") ==
        "bench line without ops= and ns=: 'kgrid-gen: bench ops=10'");
  CHECK(why("kgrid-gen: bench ops=0 ns=5\nkgrid-gen: done\n").find("without ops=") != std::string::npos);
  CHECK(why("kgrid-gen: bench ops=x ns=5\nkgrid-gen: done\n").find("without ops=") != std::string::npos);
  CHECK(why("kgrid-gen: bench ops=1 ns=-5\nkgrid-gen: done\n").find("without ops=") != std::string::npos);
  CHECK(why("kgrid-gen: bench oops\nkgrid-gen: done\n") == "malformed bench line 'kgrid-gen: bench oops'");
}

TEST_CASE("median: odd, even, unsorted, empty") {
  CHECK(median({}) == 0);
  CHECK(median({7}) == 7);
  CHECK(median({9, 1, 5}) == 5);
  CHECK(median({4, 1, 3, 2}) == 2.5);
  CHECK(median({100, 101, 5000}) == 101);  // one noisy round does not move it
}

TEST_CASE("cost metrics: medians, overhead, spread") {
  CostRuns runs;
  CHECK(cost_metrics(runs).empty());  // not tried: nothing at all
  runs.tried = true;
  runs.ms = 900;
  CHECK(cost_metrics(runs) == std::map<std::string, double>{{"cost.ms", 900}});
  runs.base_ns = {1000, 1100, 900, 5000};  // median 1050
  CHECK(cost_metrics(runs).count("cost.overhead_pct") == 0);
  runs.probe_ns = {1260, 1300, 1200};      // median 1260
  auto m = cost_metrics(runs);
  CHECK(m["cost.base_ns_per_op"] == 1050);
  CHECK(m["cost.probe_ns_per_op"] == 1260);
  CHECK(m["cost.overhead_pct"] == doctest::Approx(20));
  CHECK(m["cost.spread_pct"] == doctest::Approx(390.5));  // (5000 - 900) / 1050
  CHECK(m["cost.ms"] == 900);
  CHECK(m.count("cost.wall_overhead_pct") == 0);
  CHECK(m.count("cost.preempted_pct") == 0);
  CHECK(describe_cost(runs) == "base 1050 ns/op (900-5000), attached 1260 ns/op (1200-1300): +20.0%");

  // The wall time: everything the guest did while the workload ran.
  runs.base_wall_ns = {1100, 1200, 1000};
  runs.probe_wall_ns = {4000, 3000, 3300, 9000};  // median 3650
  runs.chunks = 400;
  runs.preempted = 12;
  m = cost_metrics(runs);
  CHECK(m["cost.wall_ns_per_op"] == 3650);
  CHECK(m["cost.wall_overhead_pct"] == doctest::Approx(231.8));
  CHECK(m["cost.preempted_pct"] == 3);
  CHECK(describe_cost(runs) ==
        "base 1050 ns/op (900-5000), attached 1260 ns/op (1200-1300): +20.0%; wall +231.8% (3650 ns/op)");

  // With the reference work: a host that ran the attached rounds at half
  // speed doubles their ns, not their cost relative to the reference.
  runs.base_rel = {10, 10.5, 9, 50};  // median 10.25
  runs.probe_rel = {12.3, 12.5, 12};  // median 12.3
  m = cost_metrics(runs);
  CHECK(m["cost.probe_ns_per_op"] == 1260);
  CHECK(m["cost.overhead_pct"] == doctest::Approx(20));
  runs.probe_ns = {2520, 2600, 2400};  // the same rounds, the emulator at half speed
  CHECK(cost_metrics(runs)["cost.overhead_pct"] == doctest::Approx(20));
  runs.probe_rel.pop_back();  // a round without it: back to the plain times
  CHECK(cost_metrics(runs)["cost.overhead_pct"] == doctest::Approx(140));
  runs.base_rel.clear();
  runs.probe_rel.clear();

  runs.probe_ns = {1000};  // a driver that costs nothing measurable can come out below zero
  runs.base_ns = {1010};
  CHECK(cost_metrics(runs)["cost.overhead_pct"] == doctest::Approx(-1));
}

TEST_CASE("when a test measures its cost, and how the baseline rounds split") {
  plan::Test t;
  t.probe = {"/p"};
  t.ready = "ready";
  CHECK(cost_applies(t));
  t.cost = false;
  CHECK_FALSE(cost_applies(t));
  t.cost = true;
  t.stop_when = "exit";
  CHECK_FALSE(cost_applies(t));
  t.stop_when = "generator";
  t.ready = "";
  CHECK_FALSE(cost_applies(t));

  CHECK(base_rounds_before(1) == 1);
  CHECK(base_rounds_before(2) == 1);
  CHECK(base_rounds_before(3) == 2);
  CHECK(base_rounds_before(5) == 3);
}
