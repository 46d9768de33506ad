// Runs one test's programs: the probe until ready, the generator, then stops
// the probe with its stop signal (SIGINT by default) or, for stop_when exit,
// waits for it to end by itself. Everything is bounded by the test's
// timeout_s; no busy waiting (one ppoll loop over the pipes, woken by SIGCHLD).
#pragma once

#include <functional>
#include <string_view>

#include "common/plan.h"
#include "testrunner/outcome.h"

namespace kgrid::testrunner {

using Progress = std::function<void(std::string_view)>;

// `say` gets short human-readable progress lines for the console.
Outcome run_test(const plan::Test& test, const Progress& say, int sigint_grace_s = 10);

}  // namespace kgrid::testrunner
