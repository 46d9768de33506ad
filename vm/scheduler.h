// The VM pool: one event loop (ppoll) over every running VM's console pipe,
// stderr pipe and pidfd, plus a signalfd for Ctrl-C/SIGTERM. It starts up to
// `jobs` VMs at once, enforces the deadlines, and hands each finished VM's
// judgement to an observer. Policy (what to run, what to print) stays with
// the caller; tests drive it with fake "VMs" that replay recorded consoles.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "vm/verdict.h"

namespace kgrid::host {

struct Deadlines {
  double boot_s = 90;        // QEMU start until init's BEGIN record
  double inactivity_s = 90;  // no console output at all
  double test_grace_s = 20;  // beyond a test's own timeout_s
  double run_s = 900;        // the whole VM
  double shutdown_s = 15;    // END record until QEMU exits
  double crash_linger_s = 3; // after a panic/oops line, to collect the trace
};

struct VmJob {
  std::string id;
  std::vector<std::string> argv;
  std::string nonce;
  size_t planned_tests = 0;
  std::filesystem::path console_log;  // raw console bytes, as they arrive
  Deadlines deadlines;
};

struct VmOutcome {
  Judgement judgement;
  VmEnd end;
  double duration_s = 0;
  double boot_s = 0;  // host time until BEGIN; 0 if it never came
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void started(size_t job) = 0;
  // Called once per job, including jobs stopped or never started because of an interrupt.
  virtual void finished(size_t job, const VmOutcome& outcome) = 0;
  // A new protocol record arrived (e.g. a test started); for status displays.
  virtual void progress(size_t job, const std::string& what) { (void)job; (void)what; }
};

struct PoolResult {
  bool interrupted = false;
  std::string signal_name;  // "SIGINT" / "SIGTERM"
};

// Runs every job, at most `parallel` at once, starting them in `order` (a
// permutation of the job indexes; empty: 0, 1, 2...). The observer always
// hears the job's own index. Blocks SIGINT/SIGTERM/SIGHUP and leaves them
// blocked, so that the caller can still write its results after an
// interrupt; the caller then returns from main with 130.
PoolResult run_pool(const std::vector<VmJob>& jobs, size_t parallel, RunObserver& observer,
                    const std::vector<size_t>& order = {});

}  // namespace kgrid::host
