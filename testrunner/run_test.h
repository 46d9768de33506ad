// Runs one test's programs: the probe until ready, the generator, then stops
// the probe with its stop signal (SIGINT by default) or, for stop_when exit,
// waits for it to end by itself. Everything is bounded by the test's
// timeout_s; no busy waiting (one ppoll loop over the pipes, woken by SIGCHLD).
//
// When the test measures its cost (cost.h), benchmark rounds run around
// that: baseline rounds before the probe starts, attached rounds after the
// generator (the probe still consuming), the other baseline rounds after the
// probe exited.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/plan.h"
#include "testrunner/outcome.h"

namespace kgrid::testrunner {

using Progress = std::function<void(std::string_view)>;

struct RunConfig {
  int sigint_grace_s = 10;
  // The benchmark's program; "--bench <ops>" is appended. Empty: the cost is
  // not measured whatever the plan says.
  std::vector<std::string> bench = {kBenchProgram};
};

// `say` gets short human-readable progress lines for the console.
Outcome run_test(const plan::Test& test, const Progress& say, const RunConfig& config = {});

}  // namespace kgrid::testrunner
