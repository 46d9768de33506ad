// What `kgrid run` does while the pool runs: it turns each finished VM into
// the kernel's result, prints progress, and asks the sweep to save
// results.json after every kernel (so an interrupted or killed run still
// leaves valid results). A kernel booted under KVM that never reached init
// is not judged: it is put aside to run again under TCG.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli/status.h"
#include "cli/run_drivers.h"
#include "results/results.h"
#include "sweep/kernel_set.h"
#include "vm/scheduler.h"

namespace kgrid::host {

class SweepObserver : public RunObserver {
 public:
  // `save` writes results.json; it is the sweep's one writer of that file.
  SweepObserver(results::RunResults& run, const std::vector<ResolvedKernel>& kernels, StatusPrinter& printer,
                std::function<void()> save);

  // The pool's job i is kernel map[i]. With `retry_kvm`, a kernel booted under
  // KVM that never reached init goes to kvm_failures instead of being judged,
  // because a broken accelerator must never decide a kernel's verdict.
  void set_pass(std::vector<size_t> map, bool retry_kvm);

  void started(size_t job) override;
  void progress(size_t job, const std::string& what) override;
  void finished(size_t job, const VmOutcome& o) override;

  // Per kernel: its driver artifacts' tests (compile/run_drivers.h), merged into
  // its result when its VM finishes.
  std::vector<KernelDriverTests> driver_tests;
  // Kernels that did not reach init under KVM, with what happened there.
  std::vector<std::pair<size_t, std::string>> kvm_failures;

  double elapsed() const;

 private:
  void redraw();

  results::RunResults& run_;
  const std::vector<ResolvedKernel>& kernels_;
  StatusPrinter& printer_;
  std::function<void()> save_;
  std::vector<size_t> map_;
  bool retry_kvm_ = false;
  std::map<size_t, std::string> current_;
  size_t running_ = 0, finished_ = 0;
  std::chrono::steady_clock::time_point started_at_;
};

}  // namespace kgrid::host
