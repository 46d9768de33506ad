#include "sweep/plan_builder.h"

#include <cstdio>

#include "sweep/spec.h"

namespace kgrid::host {

Result<plan::Plan> builtin_plan(const PlanOptions& options) {
  std::vector<Spec> specs;
  for (const BuiltinSpec& b : builtin_specs()) {
    auto spec = parse_spec(b.text, ".", std::string("built-in probes/specs/") + b.name,
                           SpecDefaults{options.test_timeout_s});
    if (!spec) return spec.error();
    if (!spec->files.empty()) return make_error(std::string("built-in spec ") + b.name + " may not pack files");
    specs.push_back(std::move(*spec));
  }
  auto set = combine_specs(std::move(specs));
  if (!set) return set.error();
  if (!options.probe_fault.empty()) {
    for (plan::Test& t : set->plan.tests) {
      if (t.driver != "modern_bpf" || t.probe.empty() || t.probe[0] != "/kgrid/bin/kgrid-probe") continue;
      t.probe.push_back("--fault");
      t.probe.push_back(options.probe_fault);
    }
  }
  return set->plan;
}

Result<SpecSet> load_tests(const PlanOptions& options) {
  if (options.specs.empty()) {
    auto plan = builtin_plan(options);
    if (!plan) return plan.error();
    return SpecSet{std::move(*plan), {}};
  }
  if (!options.probe_fault.empty())
    return make_error("--probe-fault breaks the built-in test's probe; it does not apply to --spec");
  return load_specs(options.specs, SpecDefaults{options.test_timeout_s});
}

plan::Plan default_plan(const PlanOptions& options) {
  auto plan = builtin_plan(options);
  if (plan) return *plan;
  std::fprintf(stderr, "kgrid: internal error: %s\n", plan.error().message.c_str());
  return {};
}

}  // namespace kgrid::host
