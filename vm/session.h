// One interactive VM: the guest's serial console wired to the user's terminal
// (raw mode, restored at the end), QEMU's monitor multiplexed on it so that
// Ctrl-A x always leaves and Ctrl-A c opens the monitor. The console goes
// through two FIFOs that kgrid relays, so the bytes can also be logged and
// read by a ConsoleMonitor (kgrid repro --shell judges them afterwards).
// QEMU runs as a Child: its process group dies with the session or with kgrid.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "vm/console.h"
#include "util/process.h"
#include "util/files.h"  // TempDir

namespace kgrid::host {

// Rewrites a QEMU argv made by qemu_argv() (console on "-chardev stdio,id=ID,...")
// so that the console is the FIFO pair <fifo_base>.in/.out with the monitor
// multiplexed on it.
Result<std::vector<std::string>> interactive_argv(const std::vector<std::string>& argv,
                                                  const std::filesystem::path& fifo_base);

struct SessionOptions {
  std::vector<std::string> argv;      // as qemu_argv() makes it
  std::filesystem::path work_dir;     // where the console FIFOs go
  std::filesystem::path console_log;  // raw console copy; empty for none
  int in_fd = STDIN_FILENO;
  int out_fd = STDOUT_FILENO;
};

struct SessionEnd {
  ExitStatus qemu;
  std::string qemu_stderr;  // the tail of QEMU's own messages
  std::string signal_name;  // set if kgrid itself got SIGINT/SIGTERM/SIGHUP and stopped QEMU
  double duration_s = 0;
};

// Runs QEMU until it exits (the guest powered off or rebooted after a panic,
// or the user pressed Ctrl-A x) or kgrid is signalled. The terminal is back
// in its saved state when this returns. `monitor` may be null.
Result<SessionEnd> run_session(const SessionOptions& options, ConsoleMonitor* monitor);

}  // namespace kgrid::host
