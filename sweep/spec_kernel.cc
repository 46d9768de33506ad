#include "sweep/spec_kernel.h"

namespace kgrid::host {

plan::Plan plan_for_kernel(plan::Plan plan, const plan::ConfigLookup* config) {
  if (!config) return plan;
  for (plan::Test& t : plan.tests) {
    for (const std::string& requirement : t.config) {
      auto why = plan::unmet_config(requirement, *config);
      if (why && t.skip.empty()) t.skip = *why + " (kernel config)";
    }
    t.config.clear();
  }
  return plan;
}

}  // namespace kgrid::host
