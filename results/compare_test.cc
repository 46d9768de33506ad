#include "results/compare.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "results/testing.h"

using namespace kgrid::results;

namespace {

KernelResult* find(RunResults& run, const std::string& id) {
  for (auto& k : run.kernels)
    if (k.id == id) return &k;
  FAIL("no kernel " << id);
  return nullptr;
}

TestResult* find_test(KernelResult& k, const std::string& name) {
  for (auto& t : k.tests)
    if (t.name == name) return &t;
  FAIL("no test " << name);
  return nullptr;
}

}  // namespace

TEST_CASE("the same run compared with itself: nothing to report") {
  RunResults run = testing::sample_grid();
  Comparison c = compare_runs(run, run, {});
  CHECK_FALSE(c.regressed());
  CHECK(c.regressions.empty());
  CHECK(c.fixes.empty());
  CHECK(c.metric_regressions.empty());
  CHECK(c.common_kernels == 7);
  CHECK(c.new_kernels.empty());
  CHECK(c.vanished_kernels.empty());
  CHECK(format_comparison_text(c, "a", "b").find("result: no regressions") != std::string::npos);
}

TEST_CASE("an injected regression is caught: a PASS that became a FAIL") {
  RunResults base = testing::sample_grid();
  RunResults now = base;
  KernelResult* k = find(now, "debian-bookworm-6.1.0-50-amd64");
  TestResult* t = find_test(*k, "modern_bpf");
  t->verdict = Verdict::Fail;
  t->reason = "expected 5000 getppid (nr 110) events from pid 77, probe saw 4990";
  k->verdict = Verdict::Fail;
  k->reason = "modern_bpf: " + t->reason;

  Comparison c = compare_runs(base, now, {});
  CHECK(c.regressed());
  REQUIRE(c.regressions.size() == 2);  // the kernel and its test
  CHECK(c.regressions[0].kernel == "debian-bookworm-6.1.0-50-amd64");
  CHECK(c.regressions[0].item.empty());
  CHECK(c.regressions[1].item == "modern_bpf");
  CHECK(c.regressions[1].base == Verdict::Pass);
  CHECK(c.regressions[1].now == Verdict::Fail);
  CHECK(c.regressions[1].reason.find("probe saw 4990") != std::string::npos);

  std::string text = format_comparison_text(c, "base", "new");
  CHECK(text.find("REGRESSIONS (2):") != std::string::npos);
  CHECK(text.find("PASS -> FAIL") != std::string::npos);
  CHECK(text.find("debian-bookworm-6.1.0-50-amd64: modern_bpf") != std::string::npos);
  CHECK(text.find("result: REGRESSED") != std::string::npos);
  std::string md = format_comparison_md(c, "base", "new");
  CHECK(md.rfind("### ❌ kgrid compare: 2 regression(s)", 0) == 0);
  CHECK(md.find("| `debian-bookworm-6.1.0-50-amd64` | modern_bpf | PASS → FAIL |") != std::string::npos);
  auto j = nlohmann::json::parse(format_comparison_json(c, "base", "new", {}));
  CHECK(j["regressed"] == true);
  CHECK(j["regressions"].size() == 2);
  CHECK(j["regressions"][1]["test"] == "modern_bpf");
  CHECK(j["regressions"][1]["new"] == "FAIL");
}

TEST_CASE("fixes, and changes that are neither") {
  RunResults base = testing::sample_grid();
  RunResults now = base;
  KernelResult* trixie = find(now, "debian-trixie-6.12.117+deb13-amd64");
  trixie->verdict = Verdict::Pass;
  trixie->reason.clear();
  find_test(*trixie, "legacy_bpf")->verdict = Verdict::Pass;
  find(now, "debian-sid-7.2.13+deb14-rt-amd64")->verdict = Verdict::Panic;  // TIMEOUT -> PANIC
  Comparison c = compare_runs(base, now, {});
  CHECK_FALSE(c.regressed());
  CHECK(c.fixes.size() == 2);
  REQUIRE(c.changes.size() == 1);
  CHECK(c.changes[0].base == Verdict::Timeout);
  CHECK(c.changes[0].now == Verdict::Panic);
}

TEST_CASE("different grids: new and vanished kernels and tests are reported, not errors") {
  RunResults base = testing::sample_grid();
  RunResults now = base;
  now.kernels.erase(now.kernels.begin());  // trixie vanished
  KernelResult extra = now.kernels[0];
  extra.id = "debian-bookworm-6.1.0-51-amd64";
  now.kernels.push_back(extra);
  KernelResult* bookworm = find(now, "debian-bookworm-6.1.0-50-amd64");
  bookworm->tests.pop_back();                           // legacy_bpf vanished
  bookworm->tests.push_back(bookworm->tests[0]);
  bookworm->tests.back().name = "kmod";                 // a new test
  Comparison c = compare_runs(base, now, {});
  CHECK_FALSE(c.regressed());
  CHECK(c.new_kernels == std::vector<std::string>{"debian-bookworm-6.1.0-51-amd64"});
  CHECK(c.vanished_kernels == std::vector<std::string>{"debian-trixie-6.12.117+deb13-amd64"});
  CHECK(c.new_tests == std::vector<std::string>{"debian-bookworm-6.1.0-50-amd64: kmod (modern_bpf)"});
  CHECK(c.vanished_tests == std::vector<std::string>{"debian-bookworm-6.1.0-50-amd64: legacy_bpf [clang-16]"});
  std::string text = format_comparison_text(c, "a", "b");
  CHECK(text.find("new kernels (1):") != std::string::npos);
  CHECK(text.find("vanished kernels (1):") != std::string::npos);

  // Entirely disjoint grids, and empty ones.
  RunResults other;
  other.kernels.push_back(extra);
  other.kernels[0].id = "local-6.6.0-custom";
  Comparison d = compare_runs(base, other, {});
  CHECK(d.common_kernels == 0);
  CHECK(d.vanished_kernels.size() == 7);
  CHECK(compare_runs(RunResults{}, RunResults{}, {}).common_kernels == 0);
}

TEST_CASE("metric regressions beyond the thresholds: events/s, drops, boot time") {
  RunResults base = testing::sample_grid();
  RunResults now = base;
  KernelResult* k = find(now, "debian-bookworm-6.1.0-50-amd64");
  find_test(*k, "modern_bpf")->metrics["events_per_s"] = 38746 * 0.6;  // -40%
  find_test(*k, "legacy_bpf")->metrics["events_per_s"] = 40100 * 0.75; // -25%: within 30%
  find_test(*k, "legacy_bpf")->metrics["drops"] = 3;
  k->boot_s = 2.4 * 2;                                                  // +100%, +2.4 s
  KernelResult* arm = find(now, "local-6.6.0");
  arm->boot_s = 5.5 * 1.1;                                              // +10%: within 25%

  Comparison c = compare_runs(base, now, {});
  CHECK(c.regressed());
  CHECK(c.regressions.empty());
  REQUIRE(c.metric_regressions.size() == 2);
  REQUIRE(c.slower.size() == 1);  // events/s is the driver's speed
  CHECK(c.slower[0].item == "modern_bpf");
  CHECK(c.slower[0].metric == "events_per_s");
  CHECK(c.slower[0].change_pct.value() == doctest::Approx(-40));
  std::map<std::string, MetricChange> by;
  for (const auto& m : c.metric_regressions) by[m.item + "/" + m.metric] = m;
  CHECK(by.at("legacy_bpf [clang-16]/drops").now == 3);
  CHECK(by.at("/boot_s").base == doctest::Approx(2.4));
  CHECK(format_comparison_text(c, "a", "b").find("boot time 2.4s -> 4.8s (+100%)") != std::string::npos);

  // Looser thresholds let them through; a small absolute boot change is noise.
  CompareOptions loose;
  loose.events_drop_pct = 50;
  loose.boot_increase_pct = 150;
  loose.drops_increase = 5;
  CHECK_FALSE(compare_runs(base, now, loose).regressed());
  CompareOptions tight_pct;
  tight_pct.boot_min_increase_s = 10;
  auto t = compare_runs(base, now, tight_pct);
  for (const auto& m : t.metric_regressions) CHECK(m.metric != "boot_s");
}

TEST_CASE("metrics of failing tests are not compared") {
  RunResults base = testing::sample_grid();
  RunResults now = base;
  find_test(*find(now, "debian-bookworm-6.1.0-50-cloud-amd64"), "modern_bpf")->metrics["drops"] = 1000;
  CHECK(compare_runs(base, now, {}).metric_regressions.empty());
}

TEST_CASE("a driver that got slower is listed under SLOWER and fails the comparison") {
  RunResults base = testing::sample_grid();
  RunResults now = base;
  KernelResult* k = find(now, "debian-bookworm-6.1.0-50-amd64");
  TestResult* modern = find_test(*k, "modern_bpf");  // overhead 12% in the base
  modern->metrics["cost.overhead_pct"] = 19;          // +7 points: more than max(5, 6)
  modern->metrics["cost.probe_ns_per_op"] = 1190;
  TestResult* legacy = find_test(*k, "legacy_bpf");   // load 300 ms in the base
  legacy->metrics["load_ms"] = 1500;                  // +400% and +1.2 s

  Comparison c = compare_runs(base, now, {});
  CHECK(c.regressed());
  CHECK(c.regressions.empty());
  CHECK(c.metric_regressions.empty());
  REQUIRE(c.slower.size() == 2);
  std::map<std::string, MetricChange> by;
  for (const auto& m : c.slower) by[m.item + "/" + m.metric] = m;
  CHECK(by.at("modern_bpf/cost.overhead_pct").base == 12);
  CHECK(by.at("modern_bpf/cost.overhead_pct").now == 19);
  CHECK(by.at("legacy_bpf [clang-16]/load_ms").now == 1500);

  std::string text = format_comparison_text(c, "a", "b");
  CHECK(text.find("0 metric regression(s), 2 slower") != std::string::npos);
  CHECK(text.find("SLOWER (2):") != std::string::npos);
  CHECK(text.find("debian-bookworm-6.1.0-50-amd64: modern_bpf: overhead +12% -> +19% (+7.0 points)") !=
        std::string::npos);
  CHECK(text.find("probe load time 0.30s -> 1.50s (+400%)") != std::string::npos);
  CHECK(text.find("result: REGRESSED") != std::string::npos);
  std::string md = format_comparison_md(c, "a", "b");
  CHECK(md.find("**Slower**") != std::string::npos);
  CHECK(md.find("| `debian-bookworm-6.1.0-50-amd64` | modern_bpf | overhead +12% -&gt; +19%") != std::string::npos);
  auto j = nlohmann::json::parse(format_comparison_json(c, "a", "b", {}));
  CHECK(j["regressed"] == true);
  CHECK(j["slower"].size() == 2);
  CHECK(j["thresholds"]["overhead_points"] == 5);
  CHECK(j["thresholds"]["events_drop_pct"] == 30);

  // Thresholds are options.
  CompareOptions loose;
  loose.overhead_points = 10;
  loose.load_min_increase_s = 2;
  CHECK_FALSE(compare_runs(base, now, loose).regressed());
}

TEST_CASE("cost within the noise is not slower: max(5 points, 50% relative)") {
  RunResults base = testing::sample_grid();
  auto slower_with = [&](double base_overhead, double now_overhead) {
    RunResults b = base, n = base;
    find_test(*find(b, "local-6.6.0"), "modern_bpf")->metrics["cost.overhead_pct"] = base_overhead;
    find_test(*find(n, "local-6.6.0"), "modern_bpf")->metrics["cost.overhead_pct"] = now_overhead;
    return compare_runs(b, n, {}).slower.size();
  };
  CHECK(slower_with(8, 12.9) == 0);    // +4.9 points
  CHECK(slower_with(8, 13.1) == 1);    // +5.1 points
  CHECK(slower_with(12, 17.9) == 0);   // +5.9 points: less than 50% of 12
  CHECK(slower_with(30, 44) == 0);     // +14 points, but less than 50% of 30
  CHECK(slower_with(30, 45.5) == 1);   // +15.5 points, more than 50%
  CHECK(slower_with(-2, 2.9) == 0);    // a negative base (noise) needs the 5 points
  CHECK(slower_with(40, 10) == 0);     // cheaper is never slower
  // events/s within 30% is noise; a missing metric on either side is not compared.
  RunResults n = base;
  TestResult* t = find_test(*find(n, "local-6.6.0"), "modern_bpf");
  t->metrics["events_per_s"] = 12000 * 0.71;
  t->metrics.erase("cost.overhead_pct");
  t->metrics["cost.overhead_pct"] = 500;
  RunResults old = base;
  find_test(*find(old, "local-6.6.0"), "modern_bpf")->metrics.erase("cost.overhead_pct");
  CHECK(compare_runs(old, n, {}).slower.empty());
}
