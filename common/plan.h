// The guest plan, version 1 (see docs/design.md): what the testrunner runs.
// The host writes it with format_plan(); the guest reads it with parse_plan().
// Directives added after the first release are optional and only written
// when they differ from their defaults, so a plan that does not use them is
// byte for byte what it always was.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace kgrid::plan {

// The driver's cost (docs/test-specs.md, "[cost]"): rounds of `kgrid-gen
// --bench <ops>` before the probe starts, while it is attached and after it
// exited. The defaults keep it near 1 s per test under TCG; the ops cap keeps
// a round well inside the reference drivers' ring buffers (262144 records),
// so the benchmark cannot make them drop.
inline constexpr int kDefaultCostOps = 10000;
inline constexpr int kDefaultCostRounds = 5;
inline constexpr int kMaxCostOps = 100000;
inline constexpr int kMaxCostRounds = 15;

struct MetricExpectation {
  std::string metric;
  std::string op;  // == != >= <= > <
  double value = 0;
};

// A POSIX extended regular expression matched against each line of one of
// the probe's output streams.
struct OutputExpectation {
  std::string stream;   // "stdout" or "stderr"
  bool present = true;  // true: some line matches; false: no line may match
  std::string regex;
};

struct Test {
  std::string name;
  std::string driver;
  std::vector<std::string> probe;  // argv
  std::string ready;               // the probe's stdout line that means "attached"
  std::vector<std::string> gen;    // argv, may be empty
  int timeout_s = 60;
  std::vector<std::string> requires_;  // btf, ringbuf, tracefs
  std::string min_kernel;              // "5.8", empty for none
  int expect_exit = 0;
  bool expect_truth = false;
  std::vector<MetricExpectation> metrics;

  // Additive directives.
  std::string max_kernel;              // "6.12": admits 6.12.x; empty for none
  std::vector<std::string> arch;       // uname -m values that may run it; empty for any
  std::vector<std::string> config;     // "CONFIG_X[=v]" left for the guest to check
  std::string skip;                    // decided on the host: SKIP with this reason
  std::string format = "kgrid";        // the consumer's output format: kgrid, scap-open, none
  bool pty = false;                    // the probe's stdout is a pseudo-terminal
  std::string stop_signal = "SIGINT";  // what stops the probe
  std::string stop_when = "generator"; // "generator": signal it after the generator;
                                       // "exit": it ends by itself
  int stop_after_s = 0;                // seconds after ready: generator: not before;
                                       // exit: signal it if still running (0: never)
  std::vector<OutputExpectation> outputs;
  // Measure the driver's cost when the test can have it (a `ready` line and
  // stop_when generator): "cost off" turns it off, "cost <ops> <rounds>" sizes it.
  bool cost = true;
  int cost_ops = kDefaultCostOps;
  int cost_rounds = kDefaultCostRounds;
};

struct Plan {
  std::vector<Test> tests;
};

std::string format_plan(const Plan& plan);
Result<Plan> parse_plan(std::string_view text);

// Compares "a.b.c" kernel versions numerically over the first `parts`
// components; returns <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b, int parts = 3);
// How many numeric components "6.12" has (2).
int version_parts(std::string_view v);

// Known names, for validation on both sides.
bool known_format(std::string_view name);
bool known_stop_signal(std::string_view name);
bool valid_op(std::string_view op);

// Kernel config requirements: "CONFIG_X" (y or m), "CONFIG_X=y", "=m",
// "=n" (not set) or "=<exact value>". The lookup gives an option's value, or
// nullopt when it is not set.
using ConfigLookup = std::function<std::optional<std::string>(std::string_view)>;
bool valid_config_requirement(std::string_view requirement);
// nullopt if met, else why not ("CONFIG_X is not set").
std::optional<std::string> unmet_config(std::string_view requirement, const ConfigLookup& value);

}  // namespace kgrid::plan
