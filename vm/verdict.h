// Turns what was seen of one VM (its console records, crashes, how QEMU
// ended) into a kernel verdict with a reason a person can act on.
// Pure logic: tested on recorded console logs without booting anything.
#pragma once

#include <string>
#include <vector>

#include "vm/console.h"
#include "results/results.h"

namespace kgrid::host {

enum class EndKind {
  Exited,        // QEMU exited on its own (poweroff, reboot on panic, error)
  BootDeadline,  // init did not speak in time
  TestDeadline,  // a test ran past its timeout plus grace
  Inactivity,    // no console output for too long
  RunDeadline,   // the whole kernel took too long
  Interrupted,   // the user pressed Ctrl-C or sent SIGTERM
  SpawnFailed,   // QEMU could not be started
  EngineFailed,  // kgrid could no longer watch the VM (detail says why)
};

struct VmEnd {
  EndKind kind = EndKind::Exited;
  int exit_code = 0;            // for Exited
  int signal = 0;               // for Exited: QEMU killed by a signal
  double deadline_s = 0;        // for the deadlines: the limit that expired
  std::string detail;           // spawn error, signal name, ...
  std::string qemu_stderr;      // the tail of QEMU's own stderr
};

struct Judgement {
  results::Verdict verdict = results::Verdict::InfraError;
  std::string reason;
  std::vector<results::TestResult> tests;
  std::vector<std::string> warnings;
  double init_s = 0;  // guest-side time from boot to init, if reported
};

Judgement judge(const ConsoleMonitor& console, const VmEnd& end, size_t planned_tests);

// The worst of a kernel's test verdicts, as the kernel's own verdict.
results::Verdict combine_tests(const std::vector<results::TestResult>& tests);

}  // namespace kgrid::host
