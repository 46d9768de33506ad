// `kgrid compare BASE NEW`: what changed between two runs. Kernels are matched
// by id and tests by (name, driver, compiler); grids that differ are
// reported as new and vanished kernels and tests, never an error. Metrics
// are compared for tests that passed in both runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/results.h"

namespace kgrid::results {

struct CompareOptions {
  double events_drop_pct = 30;     // events/s falling by more than this is slower
  double boot_increase_pct = 25;   // boot time growing by more than this...
  double boot_min_increase_s = 1;  // ...and by at least this many seconds
  double drops_increase = 0;       // drops (drops + lost) growing by more than this
  // The driver's cost (cost.overhead_pct) growing by more than
  // max(overhead_points, overhead_rel_pct % of the base overhead) points is slower.
  double overhead_points = 5;
  double overhead_rel_pct = 50;
  double load_increase_pct = 50;   // the probe's load time (load_ms) growing by more than this...
  double load_min_increase_s = 1;  // ...and by at least this many seconds is slower
};

struct VerdictChange {
  std::string kernel;
  std::string item;  // "" for the kernel itself, else the test ("modern_bpf", "modern_bpf [clang-16]", "build modern_bpf")
  Verdict base = Verdict::Pass;
  Verdict now = Verdict::Pass;
  std::string reason;  // why `now` is not PASS
};

struct MetricChange {
  std::string kernel;
  std::string item;    // "" for boot time, else the test
  std::string metric;  // boot_s, drops; slower: cost.overhead_pct, events_per_s, load_ms
  double base = 0;
  double now = 0;
  std::optional<double> change_pct;  // none when base is 0
};

struct Comparison {
  std::vector<VerdictChange> regressions;  // PASS -> anything else
  std::vector<VerdictChange> fixes;        // anything else -> PASS
  std::vector<VerdictChange> changes;      // other verdict changes (FAIL -> PANIC)
  std::vector<std::string> new_kernels, vanished_kernels;
  std::vector<std::string> new_tests, vanished_tests;  // "kernel: test" in kernels both runs have
  std::vector<MetricChange> metric_regressions;  // drops, boot time
  std::vector<MetricChange> slower;  // a driver that got slower: overhead, events/s, load time
  size_t common_kernels = 0;
  size_t unchanged = 0;  // kernel and test verdicts compared and equal
  bool regressed() const { return !regressions.empty() || !metric_regressions.empty() || !slower.empty(); }
};

Comparison compare_runs(const RunResults& base, const RunResults& now, const CompareOptions& options);

std::string format_comparison_text(const Comparison& c, const std::string& base_label, const std::string& new_label);
std::string format_comparison_md(const Comparison& c, const std::string& base_label, const std::string& new_label);
std::string format_comparison_json(const Comparison& c, const std::string& base_label, const std::string& new_label,
                                   const CompareOptions& options);

}  // namespace kgrid::results
