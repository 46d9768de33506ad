// The one way kgrid starts a host process. A Child runs in its own process
// group with stdin on /dev/null and stdout/stderr on non-blocking pipes;
// when the Child object goes away its whole group is killed and reaped, and
// PR_SET_PDEATHSIG covers kgrid being killed, so no QEMU or make outlives
// kgrid. run_process() is the common case on top: run to completion with a
// timeout and capture both streams.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kgrid {

struct ExitStatus {
  int code = 0;    // exit code if exited normally
  int signal = 0;  // terminating signal, 0 if none
};

struct SpawnOptions {
  std::filesystem::path cwd;     // empty: the current directory
  std::vector<std::string> env;  // "NAME=value" added to (or replacing in) the environment
};

class Child {
 public:
  // Starts argv[0] (searched in PATH). Signals blocked in the parent are
  // unblocked in the child. An error names the program and errno when it
  // could not be executed at all.
  static Result<Child> spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) = delete;
  Child(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_.get(); }
  int stderr_fd() const { return err_.get(); }
  int pidfd() const { return pidfd_.get(); }  // -1 if pidfd_open is unavailable
  void close_stdout() { out_.reset(); }
  void close_stderr() { err_.reset(); }

  // Sends a signal to the whole process group.
  void kill_group(int sig);
  // Non-blocking reap; true once the child has been reaped.
  bool try_reap();
  // Blocking reap.
  void reap();
  bool reaped() const { return reaped_; }
  const ExitStatus& status() const { return status_; }

 private:
  Child() = default;
  pid_t pid_ = -1;
  UniqueFd out_, err_, pidfd_;
  bool reaped_ = false;
  ExitStatus status_;
};

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
  std::filesystem::path cwd;          // empty: the current directory
  std::vector<std::string> env;       // "NAME=value" added to (or replacing in) the environment
  std::chrono::seconds timeout{600};  // the whole group is killed after this
  size_t max_output = 64 << 20;       // per stream; more is dropped
};

// Runs argv to completion (argv[0] is searched in PATH). An error means the
// program could not be started at all (e.g. not installed) or timed out; a
// non-zero exit is a ProcessResult. Helpers the program left behind in its
// group are killed when it exits.
Result<ProcessResult> run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The executable `program` names, like a shell finds it: itself if it holds
// a '/', else the first executable file (not a directory) in PATH; empty if none.
std::string find_in_path(const std::string& program);

// Whether `program` can be found in PATH (or is an executable path).
inline bool program_available(const std::string& program) { return !find_in_path(program).empty(); }

}  // namespace kgrid
