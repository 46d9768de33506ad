// What the driver under test costs the workload (docs/test-specs.md,
// "[cost]"). run_test() runs `kgrid-gen --bench <ops> --rounds <n>` before
// the probe starts, while it is attached and after it exited; this file
// holds the pure parts: reading the rounds, medians, and the cost.* metrics.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/plan.h"
#include "common/result.h"

namespace kgrid::testrunner {

// The program whose --bench mode is the microbenchmark (always in the initramfs).
inline constexpr const char* kBenchProgram = "/kgrid/bin/kgrid-gen";

// One round, from its line
//   kgrid-gen: bench syscall=getppid nr=39 ops=20000 ns=18123456 ns_per_op=906.17
struct BenchRound {
  uint64_t ops = 0;
  double ns = 0;  // the timed loop, CLOCK_MONOTONIC
  double ns_per_op() const { return ops ? ns / static_cast<double>(ops) : 0; }
};

// Every round of one benchmark run, in order; an error unless there is at
// least one and the output ends with "kgrid-gen: done".
Result<std::vector<BenchRound>> parse_bench(std::string_view out);

// The median (the mean of the middle two for an even count); 0 when empty.
double median(std::vector<double> values);

// What the rounds measured, kept in the Outcome.
struct CostRuns {
  bool tried = false;             // the test measures its cost
  std::vector<double> base_ns;    // ns per op, probe not loaded (rounds before and after it)
  std::vector<double> probe_ns;   // ns per op, probe attached and consuming
  int64_t ms = 0;                 // wall time of the benchmark runs
  int64_t attached_ms = 0;        // wall time of the attached run (spawn to reap)
  std::string error;              // why the measurement is incomplete; empty if it is not
};

// True when the test measures its cost: it is on in the plan, the probe says
// when it is attached (`ready`) and stays attached until the runner stops it.
bool cost_applies(const plan::Test& test);

// Baseline rounds before the probe starts: ceil(rounds / 2); the rest run
// after it exited, so that the baseline brackets the attached rounds.
int base_rounds_before(int rounds);

// cost.base_ns_per_op, cost.probe_ns_per_op (medians), cost.overhead_pct
// (probe / base - 1, in %), cost.spread_pct (the larger of the two sets'
// (max - min) / median, in %: the noise) and cost.ms; only the last when
// either set is empty.
std::map<std::string, double> cost_metrics(const CostRuns& runs);

// "base 812 ns/op, attached 934 ns/op: +15.0%", for the console.
std::string describe_cost(const std::map<std::string, double>& metrics);

}  // namespace kgrid::testrunner
