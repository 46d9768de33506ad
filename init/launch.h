// Starting and waiting for init's one child (the testrunner or a shell).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::init {

struct LaunchSpec {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  // If set, the child opens this terminal as its controlling tty and uses it
  // for stdin/stdout/stderr (for an interactive shell with working Ctrl-C).
  std::string tty;
};

// fork + execve in a new session. Reports exec failures (ENOENT, EACCES...)
// as an error instead of a child exiting 127.
Result<pid_t> launch(const LaunchSpec& spec);

// Reaps every child (orphans included) until `pid` has exited; returns its
// wait status, or nullopt if `pid` is not (or no longer) our child.
std::optional<int> reap_until(pid_t pid);

// Kills everything but PID 1, reaps it all, syncs and powers the machine
// off. Never returns.
[[noreturn]] void power_off(int console_fd);

// "ttyS0" from /sys/class/tty/console/active ("/dev/ttyS0"), or empty.
std::string console_tty_path();

}  // namespace kgrid::init
