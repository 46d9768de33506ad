#include "common/plan.h"

#include <doctest/doctest.h>

using namespace kgrid::plan;

TEST_CASE("a plan survives format and parse") {
  Plan p;
  Test t;
  t.name = "modern_bpf";
  t.driver = "modern_bpf";
  t.probe = {"/kgrid/bin/kgrid-probe", "--driver", "modern_bpf"};
  t.ready = "kgrid-probe: ready";
  t.gen = {"/kgrid/bin/kgrid-gen"};
  t.timeout_s = 42;
  t.requires_ = {"btf", "ringbuf"};
  t.min_kernel = "5.8";
  t.expect_truth = true;
  t.metrics = {{"drops", "==", 0}, {"events", ">=", 1.5}};
  p.tests.push_back(t);
  auto parsed = parse_plan(format_plan(p));
  REQUIRE(parsed.ok());
  REQUIRE(parsed->tests.size() == 1);
  const Test& q = parsed->tests[0];
  CHECK(q.probe == t.probe);
  CHECK(q.gen == t.gen);
  CHECK(q.ready == t.ready);
  CHECK(q.timeout_s == 42);
  CHECK(q.requires_ == t.requires_);
  CHECK(q.min_kernel == "5.8");
  CHECK(q.expect_truth);
  REQUIRE(q.metrics.size() == 2);
  CHECK(q.metrics[1].op == ">=");
  CHECK(q.metrics[1].value == doctest::Approx(1.5));
}

TEST_CASE("bad plans are rejected with the line") {
  CHECK_FALSE(parse_plan("").ok());
  CHECK_FALSE(parse_plan("kgrid-plan 2\n").ok());
  auto r = parse_plan("kgrid-plan 1\ntest a\nprobe /x\nexpect metric drops ~ 0\nend\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("line 4") != std::string::npos);
  CHECK_FALSE(parse_plan("kgrid-plan 1\ntest a\nprobe /x\n").ok());
  CHECK_FALSE(parse_plan("kgrid-plan 1\ntest a\nend\n").ok());
  CHECK_FALSE(parse_plan("kgrid-plan 1\nprobe /x\n").ok());
}

TEST_CASE("kernel versions compare numerically") {
  CHECK(compare_versions("5.10.0-32-amd64", "5.8") > 0);
  CHECK(compare_versions("5.4", "5.8") < 0);
  CHECK(compare_versions("6.1.0-50-amd64", "6.1") == 0);
  CHECK(compare_versions("6.12.117+deb13-amd64", "6.2") > 0);
}
