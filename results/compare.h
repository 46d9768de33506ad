// `kgrid compare BASE NEW`: what changed between two runs. Kernels are matched
// by id and tests by (name, driver, compiler); grids that differ are
// reported as new and vanished kernels and tests, never an error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/results.h"

namespace kgrid::results {

struct CompareOptions {
  double events_drop_pct = 20;     // events/s falling by more than this is a regression
  double boot_increase_pct = 25;   // boot time growing by more than this...
  double boot_min_increase_s = 1;  // ...and by at least this many seconds
  double drops_increase = 0;       // drops (drops + lost) growing by more than this
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
  std::string metric;  // boot_s, events_per_s, drops
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
  std::vector<MetricChange> metric_regressions;
  size_t common_kernels = 0;
  size_t unchanged = 0;  // kernel and test verdicts compared and equal
  bool regressed() const { return !regressions.empty() || !metric_regressions.empty(); }
};

Comparison compare_runs(const RunResults& base, const RunResults& now, const CompareOptions& options);

std::string format_comparison_text(const Comparison& c, const std::string& base_label, const std::string& new_label);
std::string format_comparison_md(const Comparison& c, const std::string& base_label, const std::string& new_label);
std::string format_comparison_json(const Comparison& c, const std::string& base_label, const std::string& new_label,
                                   const CompareOptions& options);

}  // namespace kgrid::results
