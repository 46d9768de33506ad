// RAII for file descriptors and child processes. A Child runs in its own
// process group with stdin on /dev/null and stdout/stderr on pipes; when the
// Child object goes away, its whole group is killed and reaped, so no QEMU
// outlives kgrid. PR_SET_PDEATHSIG covers the case where kgrid is killed.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kgrid::host {

using UniqueFd = kgrid::UniqueFd;

struct ExitStatus {
  int code = 0;    // exit code if exited normally
  int signal = 0;  // terminating signal, 0 if none
};

class Child {
 public:
  // Starts argv[0] (searched in PATH). Signals blocked in the parent are
  // unblocked in the child.
  static Result<Child> spawn(const std::vector<std::string>& argv);

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
  bool reaped() const { return reaped_; }
  const ExitStatus& status() const { return status_; }

 private:
  Child() = default;
  pid_t pid_ = -1;
  UniqueFd out_, err_, pidfd_;
  bool reaped_ = false;
  ExitStatus status_;
};

}  // namespace kgrid::host
