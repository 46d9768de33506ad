// Runs the compile grid: every cell (kernel x driver x compiler) in
// parallel, each in its own work dir with its own log, bounded by a timeout,
// with successful builds cached by the hash of everything that went in.
//
//   OUT/build/<kernel-id>/<driver>-<compiler>/      the work dir (sources, objects)
//   OUT/build/<kernel-id>/<driver>-<compiler>.log   every line the build printed
//   OUT/build/<kernel-id>/<driver>-<compiler>.ko|.o the artifact, when BUILT
//
// An external driver's cells (--driver-src, compile/external_cell.h) have
// the same log and artifact, and SRC/ and OUT/ inside their work dir.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "compile/steps.h"
#include "compile/types.h"

namespace kgrid::host {

struct ExternalDriver;  // compile/external.h

struct BuildCell {
  std::string kernel_id;
  std::string release;
  std::string driver;
  Compiler compiler;
  std::optional<HeaderTree> tree;  // nullopt: SKIP with skip_reason
  std::string skip_reason;
  std::filesystem::path sources;   // empty: the embedded sources; else DIR with DIR/<driver>/*
  // Set for a cell of an external driver (driver is then its name): built by
  // its own command, see compile/external_cell.h. Shared by its cells.
  std::shared_ptr<const ExternalDriver> external;
};

struct BuildGridOptions {
  std::filesystem::path out;     // OUT; cells go to OUT/build/<kernel-id>/
  size_t jobs = 1;
  std::filesystem::path cache;   // empty: no build cache
  double timeout_s = 600;        // per cell
  // Called (from the calling thread) as each cell finishes.
  std::function<void(const BuildOutcome&, size_t done, size_t total)> on_done;
};

std::vector<BuildOutcome> run_build_grid(const std::vector<BuildCell>& cells, const BuildGridOptions& options);

// One command with stdout and stderr appended to `log_fd`, in its own
// process group (killed whole on timeout), with LC_ALL=C so that compiler
// messages are the ones first_error_line() knows. Returns the exit code, or
// an error for a command that could not start or ran out of time.
Result<int> run_logged(const std::vector<std::string>& argv, const std::filesystem::path& cwd, int log_fd,
                       double timeout_s);

// How a logged command ended.
struct LoggedExit {
  int exit_code = 0;       // 128+N when killed by signal N; 127: could not execute
  bool timed_out = false;  // it ran out of time and its process group was killed
  double timeout_s = 0;
};

// run_logged() with `env` ("NAME=value") added to the build environment,
// replacing inherited variables of the same names; a timeout is a result
// here, not an error (errors: the command could not be started at all).
Result<LoggedExit> run_logged_env(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                                  int log_fd, double timeout_s, const std::vector<std::string>& env);

// "build timed out after 600s (killed)": the reason of a TIMEOUT cell.
std::string timeout_reason(double timeout_s);

// Appends `text` to a log fd (short writes and EINTR handled; errors ignored:
// a log that cannot be written does not change a build's outcome).
void log_write(int fd, std::string_view text);

// A whole file as text; empty when unreadable.
std::string read_text(const std::filesystem::path& path);

// Fills in `resource_include` of a clang (by asking it); gcc is unchanged.
Status probe_compiler(Compiler& compiler);

}  // namespace kgrid::host
