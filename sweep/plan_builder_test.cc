#include "sweep/plan_builder.h"

#include <doctest/doctest.h>

#include "sweep/spec.h"

using namespace kgrid;
using namespace kgrid::host;

namespace {
const char* kModernBpfPlan =
    "kgrid-plan 1\n"
    "test modern_bpf\n"
    "driver modern_bpf\n"
    "probe /kgrid/bin/kgrid-probe --driver modern_bpf\n"
    "ready kgrid-probe: ready\n"
    "gen /kgrid/bin/kgrid-gen\n"
    "timeout_s 60\n"
    "require btf\n"
    "require ringbuf\n"
    "min_kernel 5.8\n"
    "expect exit 0\n"
    "expect truth\n"
    "expect metric drops == 0\n"
    "end\n";
}  // namespace

TEST_CASE("the built-in spec gives exactly the plan kgrid always ran") {
  auto plan = builtin_plan({});
  INFO((plan ? "" : plan.error().message));
  REQUIRE(plan.ok());
  CHECK(plan::format_plan(*plan) == kModernBpfPlan);
  CHECK(plan::format_plan(default_plan({})) == kModernBpfPlan);
}

TEST_CASE("the built-in spec is the file in probes/specs/") {
  REQUIRE(builtin_specs().size() >= 1);
  auto from_file = load_spec(std::string(KGRID_SOURCE_DIR) + "/probes/specs/modern_bpf.toml", {});
  REQUIRE(from_file.ok());
  plan::Plan p;
  p.tests.push_back(from_file->test);
  CHECK(plan::format_plan(p) == kModernBpfPlan);
}

TEST_CASE("--probe-fault and --test-timeout still reach the built-in test") {
  auto plan = builtin_plan({"verifier", 42});
  REQUIRE(plan.ok());
  const plan::Test& t = plan->tests.at(0);
  CHECK(t.probe == std::vector<std::string>{"/kgrid/bin/kgrid-probe", "--driver", "modern_bpf", "--fault", "verifier"});
  CHECK(t.timeout_s == 42);
}
