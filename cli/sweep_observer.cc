#include "cli/sweep_observer.h"

#include <fmt/format.h>

namespace kgrid::host {

using results::KernelResult;

SweepObserver::SweepObserver(results::RunResults& run, const std::vector<ResolvedKernel>& kernels,
                             StatusPrinter& printer, std::function<void()> save)
    : run_(run), kernels_(kernels), printer_(printer), save_(std::move(save)),
      started_at_(std::chrono::steady_clock::now()) {}

void SweepObserver::set_pass(std::vector<size_t> map, bool retry_kvm) {
  map_ = std::move(map);
  retry_kvm_ = retry_kvm;
}

void SweepObserver::started(size_t job) {
  ++running_;
  current_[map_[job]] = "booting";
  redraw();
}

void SweepObserver::progress(size_t job, const std::string& what) {
  current_[map_[job]] = what;
  redraw();
}

void SweepObserver::finished(size_t job, const VmOutcome& o) {
  job = map_[job];
  if (current_.erase(job)) --running_;
  if (retry_kvm_ && run_.kernels[job].accel == "kvm" && o.boot_s == 0 && o.end.kind != EndKind::Interrupted) {
    kvm_failures.push_back({job, fmt::format("{}: {}", results::verdict_name(o.judgement.verdict), o.judgement.reason)});
    redraw();
    return;
  }
  const ResolvedKernel& k = kernels_[job];
  KernelResult& r = run_.kernels[job];
  r.verdict = o.judgement.verdict;
  r.reason = o.judgement.reason;
  r.tests = o.judgement.tests;
  r.warnings = o.judgement.warnings;
  r.duration_s = o.duration_s;
  r.boot_s = o.boot_s;
  r.init_s = o.judgement.init_s;
  if (job < driver_tests.size()) merge_driver_results(r, driver_tests[job]);
  ++finished_;
  run_.wall_s = elapsed();
  save_();
  std::string line = fmt::format("[{}/{}] {} {} ({:.1f}s)", finished_, kernels_.size(),
                                 printer_.verdict(r.verdict), k.id, o.duration_s);
  if (!r.reason.empty()) line += ": " + r.reason;
  printer_.print(line);
  redraw();
}

double SweepObserver::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
}

void SweepObserver::redraw() {
  if (!printer_.smart()) return;
  std::string line = fmt::format("[{}/{} done, {} running]", finished_, kernels_.size(), running_);
  for (const auto& [job, what] : current_) line += fmt::format(" {}: {};", kernels_[job].id, what);
  printer_.status(line);
}

}  // namespace kgrid::host
