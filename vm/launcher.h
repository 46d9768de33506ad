// Where the VM engine meets the world: a Launcher starts VMs and reports
// what happens to them (output, exit, a signal to kgrid), and a Clock tells
// the time. The pool (scheduler.cc) is pure policy over these two; the real
// ones are posix_launcher.h, and the tests replay recorded consoles on a
// fake clock without a process or a sleep (fake_launcher.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"
#include "util/process.h"

namespace kgrid::host {

struct VmJob;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now() = 0;  // monotonic seconds
};

struct LaunchEvent {
  enum class Kind {
    Stdout,  // console bytes (data)
    Stderr,  // QEMU's own stderr (data)
    Exited,  // the VM process ended (status)
    Signal,  // kgrid was asked to stop (data: "SIGINT", "SIGTERM", "SIGHUP")
  };
  Kind kind = Kind::Stdout;
  size_t vm = 0;  // the handle launch() gave
  std::string data;
  ExitStatus status;
};

// What is left of a VM once it is stopped: output still in its pipes, and how it ended.
struct LaunchEnd {
  std::string stdout_rest, stderr_rest;
  ExitStatus status;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts a VM; the handle names it in events. Each handle is stopped once.
  virtual Result<size_t> launch(const VmJob& job) = 0;
  // Waits up to timeout_s for events of the running VMs, and appends them.
  // An error means the launcher can no longer watch its VMs.
  virtual Status wait(double timeout_s, std::vector<LaunchEvent>& events) = 0;
  // Kills the VM if it still runs, reaps it, and returns what was left.
  virtual LaunchEnd stop(size_t vm) = 0;
};

}  // namespace kgrid::host
