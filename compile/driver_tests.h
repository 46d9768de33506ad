// From built artifacts to guest tests: one plan test per artifact that built
// for a kernel (named after the cell, e.g. "kmod/gcc-12"), the files the
// kernel's overlay must carry, and the tests decided on the host without
// booting (BUILD_FAIL -> FAIL, SKIP -> SKIP). Also reads --artifacts DIR.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/plan.h"
#include "common/result.h"
#include "compile/types.h"
#include "sweep/kernel_set.h"
#include "results/results.h"

namespace kgrid::host {

// The placeholders of a spec's command and generator that name an external
// driver's artifact (--driver-src): a spec that uses one runs once per
// artifact built for the kernel, as "<spec name>/<compiler>".
inline constexpr const char* kDriverPlaceholder = "{driver}";      // /kgrid/drivers/<name>-<compiler>.ko|.o
inline constexpr const char* kCompilerPlaceholder = "{compiler}";  // gcc-12

// A host file for one kernel's overlay.
struct OverlayFile {
  std::filesystem::path host;
  std::string guest;  // absolute, e.g. /kgrid/drivers/kmod-gcc-12.ko
};

// What the per-kernel drivers add to one kernel's run.
struct KernelDriverTests {
  std::vector<plan::Test> tests;                // appended to the guest plan
  std::vector<OverlayFile> files;               // packed into the kernel's overlay
  std::vector<results::TestResult> host_tests;  // decided without booting
  std::vector<results::BuildResult> builds;     // for results.json
  std::map<std::string, std::string> compilers; // test name -> the compiler that built its artifact

  // An external driver (--driver-src): its name (empty: none), the guest path
  // of each artifact built for this kernel by compiler, and kgrid-probe's
  // test of each, used when no spec names {driver}.
  std::string external_driver;
  std::map<std::string, std::string> external_artifacts;  // compiler -> guest path
  std::vector<plan::Test> external_default_tests;
};

// The guest test for one artifact: kgrid-probe with the driver's file,
// checked against the generator's ground truth with zero drops.
plan::Test artifact_test(const std::string& name, const std::string& driver, const std::string& guest_path,
                         int timeout_s, const std::string& fault = "");

// Everything one kernel's build outcomes add to its run. An external
// driver's artifact goes to /kgrid/drivers/<name>-<compiler>.ko|.o.
KernelDriverTests tests_from_builds(const std::vector<BuildOutcome>& outcomes, int timeout_s);

// The kernel's plan: `plan`, then the driver tests. A test of `plan` that
// names {driver} runs once per external artifact of this kernel (as
// "<name>/<compiler>", driver: the external driver's name, the placeholders
// replaced), or not at all when none was built (the cells' own host tests
// say why); without an external driver it is a SKIP that says so. When no
// test names {driver}, each external artifact gets kgrid-probe's test.
plan::Plan plan_with_driver_tests(const plan::Plan& plan, const KernelDriverTests& tests);

// results.json's builds[] entry for one outcome.
results::BuildResult build_result(const BuildOutcome& o);

// --artifacts DIR: DIR/<release>/ or DIR/<kernel id>/ holds *.ko (kmod) and
// *.o (bpf). "kmod-gcc-12.ko" is test "kmod/gcc-12"; "foo.ko" is "kmod/foo".
// A kernel with no directory, or an empty one, gets one host SKIP test
// "no artifact for <release>".
KernelDriverTests tests_from_artifacts(const std::filesystem::path& dir, const ResolvedKernel& kernel,
                                       int timeout_s);

// Adds the host-decided tests to a kernel's result after its VM finished.
// A host FAIL or TIMEOUT (a driver that did not build) makes a kernel whose
// verdict is better that verdict, with that test as the reason; worse
// verdicts (PANIC, BOOT_FAIL, INFRA_ERROR) stay.
void merge_host_tests(results::KernelResult& kernel, const std::vector<results::TestResult>& host_tests);

// After a kernel's VM finished: each guest test of an artifact (also a spec
// run per external artifact, "<spec>/<compiler>") gets the compiler that
// built it, then merge_host_tests().
void merge_driver_results(results::KernelResult& kernel, const KernelDriverTests& tests);

}  // namespace kgrid::host
