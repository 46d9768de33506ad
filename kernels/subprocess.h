// Runs a helper program (gpgv, make, a compiler probe) to completion and
// captures its output. The child gets /dev/null as stdin, its own process
// group, and PR_SET_PDEATHSIG, so it never outlives kgrid.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::kernels {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;     // stdout
  std::string err;     // stderr
  bool ok() const { return exit_code == 0; }
  // "exit code 2" or "killed by signal 9", plus the last line of stderr.
  std::string describe() const;
};

struct ProcessOptions {
  std::filesystem::path cwd;                 // empty: the current directory
  std::vector<std::string> env;              // "NAME=value" added to (or replacing in) the environment
  std::chrono::seconds timeout{600};         // the whole group is killed after this
  size_t max_output = 64 << 20;              // per stream; more is dropped
};

// argv[0] is searched in PATH. An error means the program could not be
// started at all (e.g. not installed); a non-zero exit is a ProcessResult.
Result<ProcessResult> run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Whether `program` can be found in PATH (or is an executable path).
bool program_available(const std::string& program);

}  // namespace kgrid::kernels
