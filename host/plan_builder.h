// The tests kgrid runs by default, expressed in the same plan format that
// user test specs produce.
#pragma once

#include <string>

#include "common/plan.h"

namespace kgrid::host {

struct PlanOptions {
  std::string probe_fault;  // "", "nocapture" or "verifier": a deliberately broken probe
  int test_timeout_s = 60;
};

plan::Plan default_plan(const PlanOptions& options);

}  // namespace kgrid::host
