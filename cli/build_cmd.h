// `kgrid build`: builds every per-kernel driver (kmod with gcc-N, bpf with
// clang-N, and the user's own with --driver-src DIR --build-cmd CMD) for
// every kernel, in parallel, and reports the (kernel x driver x compiler)
// table; also the build phase of `kgrid run --build` / `--driver-src`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "compile/external.h"
#include "compile/types.h"
#include "sweep/kernel_set.h"
#include "cli/status.h"

namespace kgrid::host {

struct DriverBuildOptions {
  std::vector<std::string> drivers;    // kmod, bpf; empty: both, unless `external` is given
  std::vector<std::string> compilers;  // gcc-12, clang-14; empty: every one installed
  std::filesystem::path headers_dir;   // --headers DIR
  std::filesystem::path sources_dir;   // --sources DIR: DIR/kmod/, DIR/bpf/ instead of the built-in sources
  std::string mirror;
  size_t jobs = 0;                     // 0: the number of cores
  double timeout_s = 600;              // per cell
  bool no_cache = false;
  ExternalDriverOptions external;      // --driver-src DIR --build-cmd CMD ...: the user's driver
};

// Builds the grid into OUT/build/. One vector of outcomes per kernel, in the
// order of `kernels`. Errors only for bad input (an unknown driver, a
// compiler that is not installed, a missing --driver-src, an empty
// --build-cmd); a cell that cannot be built is a BUILD_FAIL, TIMEOUT or SKIP
// outcome and the grid goes on. An external driver is built with each
// selected compiler of its kind (gcc-N for kmod, clang-N for bpf); a named
// compiler of the other kind is a SKIP cell that says so.
Result<std::vector<std::vector<BuildOutcome>>> build_drivers(const std::vector<ResolvedKernel>& kernels,
                                                             const DriverBuildOptions& options,
                                                             const std::filesystem::path& out,
                                                             StatusPrinter& printer);

// The table: one row per kernel, one column per (driver, compiler), then the
// reason of every cell that did not build.
std::string format_build_table(const std::vector<ResolvedKernel>& kernels,
                               const std::vector<std::vector<BuildOutcome>>& outcomes);

struct BuildCommandOptions {
  std::vector<std::string> kernels;  // as for kgrid run
  std::string grid;
  std::filesystem::path out = "kgrid-results";
  DriverBuildOptions build;
};

// 0 if nothing failed to build, 1 if a cell is BUILD_FAIL or TIMEOUT, 2 for bad input.
int build_command(const BuildCommandOptions& options);

}  // namespace kgrid::host
