#include "host/plan_builder.h"

namespace kgrid::host {

plan::Plan default_plan(const PlanOptions& options) {
  plan::Test t;
  t.name = "modern_bpf";
  t.driver = "modern_bpf";
  t.probe = {"/kgrid/bin/kgrid-probe", "--driver", "modern_bpf"};
  if (!options.probe_fault.empty()) {
    t.probe.push_back("--fault");
    t.probe.push_back(options.probe_fault);
  }
  t.ready = "kgrid-probe: ready";
  t.gen = {"/kgrid/bin/kgrid-gen"};
  t.timeout_s = options.test_timeout_s;
  t.requires_ = {"btf", "ringbuf"};
  t.min_kernel = "5.8";
  t.expect_exit = 0;
  t.expect_truth = true;
  t.metrics = {{"drops", "==", 0}};
  plan::Plan p;
  p.tests.push_back(std::move(t));
  return p;
}

}  // namespace kgrid::host
