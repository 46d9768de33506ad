// The real Launcher and Clock: each VM is a Child (its own process group,
// pipes, pidfd), watched by one ppoll together with a signalfd for
// SIGINT/SIGTERM/SIGHUP. Creating a PosixLauncher blocks those signals and
// leaves them blocked, so that the caller can still write its results after
// an interrupt.
#pragma once

#include <map>
#include <optional>

#include "vm/launcher.h"

namespace kgrid::host {

class SteadyClock : public Clock {
 public:
  double now() override;
};

class PosixLauncher : public Launcher {
 public:
  PosixLauncher();
  Result<size_t> launch(const VmJob& job) override;
  Status wait(double timeout_s, std::vector<LaunchEvent>& events) override;
  LaunchEnd stop(size_t vm) override;

 private:
  struct Running {
    Child child;
    bool stdout_open = true, stderr_open = true;
  };
  std::map<size_t, Running> vms_;
  size_t next_handle_ = 0;
  UniqueFd sigfd_;
  bool only_output_ = false;  // the last wait brought nothing but console output
};

}  // namespace kgrid::host
