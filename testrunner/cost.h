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
//   kgrid-gen: bench syscall=getppid nr=39 ops=10000 ns=18123456 ns_per_op=1812.35
//              running_ns=9061728 ref_ns=3000000 chunks=200 preempted=3
// ns is the round's wall time, everything included; running_ns counts the
// chunks during which the workload was preempted (by the guest's consumer,
// or the host descheduling the emulator) as the round's median chunk: the
// time the calls themselves took, their kernel side included. ref_ns is a
// fixed user-space workload timed beside every chunk: how fast the emulator
// ran the guest meanwhile.
struct BenchRound {
  uint64_t ops = 0;
  double ns = 0;          // wall time, CLOCK_MONOTONIC
  double running_ns = 0;  // without preemptions; ns when not reported
  double ref_ns = 0;      // 0 when not reported
  uint64_t chunks = 0, preempted = 0;
  double ns_per_op() const { return ops ? running_ns / static_cast<double>(ops) : 0; }
  double wall_ns_per_op() const { return ops ? ns / static_cast<double>(ops) : 0; }
  // The calls' time in units of the reference work; 0 without it.
  double relative_cost() const { return ref_ns > 0 ? running_ns / ref_ns : 0; }
};

// Every round of one benchmark run, in order; an error unless there is at
// least one and the output ends with "kgrid-gen: done".
Result<std::vector<BenchRound>> parse_bench(std::string_view out);

// The median (the mean of the middle two for an even count); 0 when empty.
double median(std::vector<double> values);

// What the rounds measured, kept in the Outcome. Per round, ns per op.
struct CostRuns {
  bool tried = false;                  // the test measures its cost
  std::vector<double> base_ns, probe_ns;            // running time: driver not loaded / attached
  std::vector<double> base_wall_ns, probe_wall_ns;  // wall time, the same rounds
  std::vector<double> base_rel, probe_rel;          // relative_cost(), when reported
  uint64_t chunks = 0, preempted = 0;  // attached rounds: timed chunks, and those preempted
  int64_t ms = 0;                      // wall time of the benchmark runs
  int64_t attached_ms = 0;             // wall time of the attached run (spawn to reap)
  std::string error;                   // why the measurement is incomplete; empty if it is not
};

// True when the test measures its cost: it is on in the plan, the probe says
// when it is attached (`ready`) and stays attached until the runner stops it.
bool cost_applies(const plan::Test& test);

// Baseline rounds before the probe starts: ceil(rounds / 2); the rest run
// after it exited, so that the baseline brackets the attached rounds.
int base_rounds_before(int rounds);

// Medians of the running times: cost.base_ns_per_op, cost.probe_ns_per_op
// and cost.overhead_pct (probe / base - 1, in %: what the driver adds to a
// syscall; from the relative costs when every round has one, so that a
// host that gave the emulator less CPU in one phase does not move it); of
// the wall times: cost.wall_ns_per_op (attached) and
// cost.wall_overhead_pct (everything the guest did while the workload ran:
// the consumer on the same vCPU too); cost.spread_pct (the larger of the two
// running sets' (max - min) / median, in %: the noise), cost.preempted_pct
// (attached chunks preempted, in %) and cost.ms. Only cost.ms when either set
// is empty.
std::map<std::string, double> cost_metrics(const CostRuns& runs);

// "base 812 ns/op (790-850), attached 934 ns/op (901-990): +15.0%; wall
// +120.4%", medians and ranges for the console; "" when either set is empty.
std::string describe_cost(const CostRuns& runs);

}  // namespace kgrid::testrunner
