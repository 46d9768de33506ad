// The VM pool: it starts up to `parallel` VMs at once, feeds their consoles
// to the monitor, enforces the deadlines, and hands each finished VM's
// judgement to an observer. Processes and time come from outside (a
// Launcher and a Clock, launcher.h): the real ones run QEMU under one ppoll
// loop, the tests replay recorded consoles on a fake clock. Policy (what to
// run, what to print) stays with the caller.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "vm/deadlines.h"
#include "vm/launcher.h"
#include "vm/verdict.h"

namespace kgrid::host {

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

// The same with the launcher and clock given. If the launcher fails to watch
// its VMs, every running VM is stopped and judged, and the rest are reported
// as not run, so each job is still finished() exactly once.
PoolResult run_pool(const std::vector<VmJob>& jobs, size_t parallel, RunObserver& observer,
                    const std::vector<size_t>& order, Launcher& launcher, Clock& clock);

}  // namespace kgrid::host
