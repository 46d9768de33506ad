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
  find_test(*k, "modern_bpf")->metrics["events_per_s"] = 38746 * 0.7;  // -30%
  find_test(*k, "legacy_bpf")->metrics["events_per_s"] = 40100 * 0.9;  // -10%: within 20%
  find_test(*k, "legacy_bpf")->metrics["drops"] = 3;
  k->boot_s = 2.4 * 2;                                                  // +100%, +2.4 s
  KernelResult* arm = find(now, "local-6.6.0");
  arm->boot_s = 5.5 * 1.1;                                              // +10%: within 25%

  Comparison c = compare_runs(base, now, {});
  CHECK(c.regressed());
  CHECK(c.regressions.empty());
  REQUIRE(c.metric_regressions.size() == 3);
  std::map<std::string, MetricChange> by;
  for (const auto& m : c.metric_regressions) by[m.item + "/" + m.metric] = m;
  CHECK(by.at("modern_bpf/events_per_s").change_pct.value() == doctest::Approx(-30));
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
