// User test specs: one TOML file per test, for any probe, turned into a
// guest plan test (docs/test-specs.md). The built-in test is a spec too
// (probes/specs/modern_bpf.toml, embedded at build time).
//
//   name = "my_probe"
//   command = ["/kgrid/bin/my-probe", "--all"]
//   ready = "my-probe: attached"
//   generator = ["/kgrid/bin/kgrid-gen"]
//   files = ["build/my-probe:/kgrid/bin/my-probe"]
//   [expect]
//   metrics = ["events >= 1", "drops == 0"]
//   stdout = ["^my-probe: [0-9]+ events"]
//   [requires]
//   min_kernel = "5.8"
//   config = ["CONFIG_DEBUG_INFO_BTF"]
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/plan.h"
#include "common/result.h"

namespace kgrid::host {

// A host file packed into the initramfs.
struct SpecFile {
  std::filesystem::path host;  // absolute
  std::string guest;           // absolute path in the guest
};

struct Spec {
  plan::Test test;
  std::vector<SpecFile> files;
};

struct SpecDefaults {
  int timeout_s = 60;  // for specs without `timeout`
};

// `name` is shown in errors ("specs/x.toml:12: expect.metrics[0]: ...") and
// its stem is the test's default name; relative `files` are found from
// `base_dir`. Every error names the file, the line and the key.
Result<Spec> parse_spec(std::string_view text, const std::filesystem::path& base_dir,
                        const std::string& name, const SpecDefaults& defaults);
Result<Spec> load_spec(const std::filesystem::path& file, const SpecDefaults& defaults);

// Several specs as one plan: test names must differ, and two specs may put
// a file at the same guest path only if it is the same host file.
struct SpecSet {
  plan::Plan plan;
  std::vector<SpecFile> files;
};
Result<SpecSet> combine_specs(std::vector<Spec> specs);
Result<SpecSet> load_specs(const std::vector<std::filesystem::path>& files, const SpecDefaults& defaults);

// "events >= 1" -> {events, >=, 1}.
Result<plan::MetricExpectation> parse_metric_expectation(std::string_view text);

// The built-in specs, embedded from probes/specs/ at build time: {file name, text}.
struct BuiltinSpec {
  const char* name;
  const char* text;
};
const std::vector<BuiltinSpec>& builtin_specs();

}  // namespace kgrid::host
