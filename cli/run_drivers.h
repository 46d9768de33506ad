// The per-kernel drivers in `kgrid run`: --build kmod,bpf builds them for
// every kernel first (cli/build_cmd.h), --driver-src DIR --build-cmd CMD
// builds the user's own driver (compile/external.h), --artifacts DIR
// takes ready ones; either way each kernel gets one guest test per artifact
// (for an external driver: each spec that names {driver}, once per
// artifact), the artifact in its overlay, and host-decided tests for what
// did not build.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/plan.h"
#include "common/result.h"
#include "cli/build_cmd.h"
#include "compile/driver_tests.h"
#include "sweep/kernel_set.h"
#include "cli/status.h"

namespace kgrid::host {

struct DriverRunOptions {
  std::vector<std::string> build;   // --build: drivers to build per kernel (kmod, bpf)
  DriverBuildOptions build_options; // compilers, headers, cache
  std::filesystem::path artifacts;  // --artifacts DIR
  std::string fault;                // --driver-fault nocapture|verifier|oops

  bool enabled() const { return !build.empty() || !artifacts.empty() || build_options.external.given(); }
};

// One entry per kernel, empty ones when nothing is enabled. Builds write to
// OUT/build/. Errors only for bad input.
Result<std::vector<KernelDriverTests>> per_kernel_driver_tests(const std::vector<ResolvedKernel>& kernels,
                                                               const DriverRunOptions& options,
                                                               const std::filesystem::path& out,
                                                               int test_timeout_s, StatusPrinter& printer);

// `plan` plus the kernel's driver tests (plan_with_driver_tests()).
plan::Plan with_driver_tests(const plan::Plan& plan, const KernelDriverTests& tests);

// The overlay files in the form InitramfsBuilder takes.
std::vector<std::pair<std::filesystem::path, std::string>> overlay_files(const KernelDriverTests& tests);

}  // namespace kgrid::host
