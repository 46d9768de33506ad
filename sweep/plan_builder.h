// The tests kgrid runs by default: the built-in specs (probes/specs/*.toml,
// embedded at build time), read with the same parser as user test specs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/plan.h"
#include "common/result.h"
#include "sweep/spec.h"

namespace kgrid::host {

struct PlanOptions {
  std::string probe_fault;  // "", "nocapture" or "verifier": a deliberately broken probe
  int test_timeout_s = 60;  // for specs without their own timeout
  std::vector<std::filesystem::path> specs;  // kgrid run --spec: run these instead
};

// The built-in specs as a plan; --probe-fault is passed to kgrid-probe.
Result<plan::Plan> builtin_plan(const PlanOptions& options);

// builtin_plan(), for callers that cannot fail: the built-in specs are
// checked by the unit tests, so an error is a build bug; it is printed and
// the plan is empty (which no kernel passes).
plan::Plan default_plan(const PlanOptions& options);

// What `kgrid run` runs: the --spec files with the files they pack, or the
// built-in tests.
Result<SpecSet> load_tests(const PlanOptions& options);

}  // namespace kgrid::host
