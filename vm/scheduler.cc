#include "vm/scheduler.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>

#include "vm/posix_launcher.h"

namespace kgrid::host {
namespace {

constexpr size_t kStderrKeep = 4096;
constexpr double kMaxWaitS = 1.0;

struct ActiveVm {
  size_t index = 0;
  size_t handle = 0;
  const VmJob* job = nullptr;
  ConsoleMonitor console{""};
  UniqueFd log;
  VmMoments at;
  uint64_t running_test_seq = ~0ull;
  std::string qemu_stderr;
};

void write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // a full disk must not stop the sweep; the console is also parsed
    data += w;
    n -= static_cast<size_t>(w);
  }
}

// Anything but a permutation of the indexes falls back to 0, 1, 2...
std::vector<size_t> starting_order(size_t jobs, std::vector<size_t> order) {
  std::vector<bool> seen(jobs, false);
  bool valid = order.size() == jobs;
  for (size_t i = 0; valid && i < order.size(); ++i) {
    valid = order[i] < jobs && !seen[order[i]];
    if (valid) seen[order[i]] = true;
  }
  if (!valid) {
    order.resize(jobs);
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  }
  return order;
}

class Pool {
 public:
  Pool(const std::vector<VmJob>& jobs, size_t parallel, RunObserver& observer, std::vector<size_t> order,
       Launcher& launcher, Clock& clock)
      : jobs_(jobs),
        parallel_(parallel == 0 ? 1 : parallel),
        observer_(observer),
        order_(starting_order(jobs.size(), std::move(order))),
        launcher_(launcher),
        clock_(clock) {}

  PoolResult run();

 private:
  void start(size_t index);
  ActiveVm* find(size_t handle);
  void output(ActiveVm& vm, std::string_view bytes);
  void qemu_stderr(ActiveVm& vm, std::string_view bytes);
  void after_records(ActiveVm& vm);
  void finish(ActiveVm& vm, VmEnd end);
  void finish_all(EndKind kind, const std::string& detail);
  void report_unstarted(const std::string& reason, const std::string& detail);

  const std::vector<VmJob>& jobs_;
  size_t parallel_;
  RunObserver& observer_;
  std::vector<size_t> order_;  // job indexes in starting order
  Launcher& launcher_;
  Clock& clock_;
  std::vector<std::unique_ptr<ActiveVm>> active_;
  size_t next_ = 0;  // into order_
};

void Pool::start(size_t index) {
  const VmJob& job = jobs_[index];
  auto vm = std::make_unique<ActiveVm>();
  vm->index = index;
  vm->job = &job;
  vm->console = ConsoleMonitor(job.nonce);
  vm->at.started = vm->at.last_output = clock_.now();
  observer_.started(index);
  if (!job.console_log.empty())
    vm->log.reset(::open(job.console_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  auto handle = launcher_.launch(job);
  if (!handle) {
    VmOutcome outcome;
    outcome.end.kind = EndKind::SpawnFailed;
    outcome.end.detail = handle.error().message;
    outcome.judgement = judge(vm->console, outcome.end, job.planned_tests);
    observer_.finished(index, outcome);
    return;
  }
  vm->handle = *handle;
  active_.push_back(std::move(vm));
}

ActiveVm* Pool::find(size_t handle) {
  for (auto& vm : active_)
    if (vm->handle == handle) return vm.get();
  return nullptr;
}

void Pool::output(ActiveVm& vm, std::string_view bytes) {
  if (bytes.empty()) return;
  vm.at.last_output = clock_.now();
  if (vm.log.valid()) write_all(vm.log.get(), bytes.data(), bytes.size());
  if (vm.console.feed(bytes)) after_records(vm);
  if (vm.console.crash() && !vm.at.crash_at) vm.at.crash_at = clock_.now();
}

void Pool::qemu_stderr(ActiveVm& vm, std::string_view bytes) {
  vm.qemu_stderr.append(bytes);
  if (vm.qemu_stderr.size() > kStderrKeep) vm.qemu_stderr.erase(0, vm.qemu_stderr.size() - kStderrKeep);
}

void Pool::after_records(ActiveVm& vm) {
  double now = clock_.now();
  if (!vm.at.begin_at && vm.console.find_first("BEGIN")) vm.at.begin_at = now;
  if (!vm.at.end_at && vm.console.find_first("END")) vm.at.end_at = now;
  const protocol::Record* running = vm.console.running_test();
  if (running && running->seq != vm.running_test_seq) {
    vm.running_test_seq = running->seq;
    vm.at.test_started_at = now;
    vm.at.test_timeout_s = std::atoi(running->get("timeout_s").c_str());
    observer_.progress(vm.index, "test " + running->get("name"));
  } else if (!running && vm.at.test_started_at) {
    vm.at.test_started_at.reset();
    vm.running_test_seq = ~0ull;
  }
}

// Stops the VM (if it still runs), collects what was left, judges it and
// tells the observer. Removes it from active_.
void Pool::finish(ActiveVm& vm, VmEnd end) {
  LaunchEnd rest = launcher_.stop(vm.handle);
  output(vm, rest.stdout_rest);
  qemu_stderr(vm, rest.stderr_rest);
  vm.console.flush();
  if (end.kind == EndKind::Exited) {
    end.exit_code = rest.status.code;
    end.signal = rest.status.signal;
  }
  end.qemu_stderr = vm.qemu_stderr;

  VmOutcome outcome;
  outcome.end = end;
  outcome.duration_s = clock_.now() - vm.at.started;
  if (vm.at.begin_at) outcome.boot_s = *vm.at.begin_at - vm.at.started;
  outcome.judgement = judge(vm.console, end, vm.job->planned_tests);
  size_t index = vm.index;
  for (size_t i = 0; i < active_.size(); ++i)
    if (active_[i].get() == &vm) {
      active_.erase(active_.begin() + static_cast<long>(i));
      break;
    }
  observer_.finished(index, outcome);
}

void Pool::finish_all(EndKind kind, const std::string& detail) {
  while (!active_.empty()) {
    VmEnd end;
    end.kind = kind;
    end.detail = detail;
    finish(*active_.back(), end);
  }
}

void Pool::report_unstarted(const std::string& reason, const std::string& detail) {
  for (; next_ < jobs_.size(); ++next_) {
    VmOutcome outcome;
    outcome.end.kind = EndKind::Interrupted;
    outcome.end.detail = detail;
    outcome.judgement.verdict = results::Verdict::InfraError;
    outcome.judgement.reason = reason;
    observer_.finished(order_[next_], outcome);
  }
}

PoolResult Pool::run() {
  PoolResult result;
  std::vector<LaunchEvent> events;
  while (next_ < jobs_.size() || !active_.empty()) {
    while (active_.size() < parallel_ && next_ < jobs_.size()) start(order_[next_++]);
    if (active_.empty()) continue;

    double now = clock_.now();
    double wait_s = kMaxWaitS;
    for (auto& vm : active_) wait_s = std::min(wait_s, seconds_to_next_deadline(vm->job->deadlines, vm->at, now));
    events.clear();
    Status waited = launcher_.wait(std::max(wait_s, 0.0), events);
    if (!waited) {
      // The engine can no longer watch its VMs: stop and judge each of them
      // rather than leave them running or unreported.
      std::string detail = "kgrid could not watch its VMs (" + waited.error().message + ")";
      finish_all(EndKind::EngineFailed, detail);
      report_unstarted("not run: " + detail, detail);
      break;
    }

    for (LaunchEvent& e : events) {
      if (e.kind == LaunchEvent::Kind::Signal) {
        result.interrupted = true;
        result.signal_name = e.data;
        break;
      }
      ActiveVm* vm = find(e.vm);
      if (!vm) continue;
      if (e.kind == LaunchEvent::Kind::Stdout) output(*vm, e.data);
      if (e.kind == LaunchEvent::Kind::Stderr) qemu_stderr(*vm, e.data);
      if (e.kind == LaunchEvent::Kind::Exited) finish(*vm, VmEnd{});  // kind: Exited
    }
    if (result.interrupted) break;

    now = clock_.now();
    for (size_t slot = active_.size(); slot-- > 0;) {
      ActiveVm& vm = *active_[slot];
      if (auto due = expired(vm.job->deadlines, vm.at, now)) {
        VmEnd end;
        end.kind = due->kind;
        end.deadline_s = due->limit_s;
        finish(vm, end);
      }
    }
  }

  if (result.interrupted) {
    // Every running VM is stopped and judged; jobs never started are reported too.
    finish_all(EndKind::Interrupted, result.signal_name);
    report_unstarted("not run: the sweep was interrupted (" + result.signal_name + ")", result.signal_name);
  }
  return result;
}

}  // namespace

PoolResult run_pool(const std::vector<VmJob>& jobs, size_t parallel, RunObserver& observer,
                    const std::vector<size_t>& order, Launcher& launcher, Clock& clock) {
  Pool pool(jobs, parallel, observer, order, launcher, clock);
  return pool.run();
}

PoolResult run_pool(const std::vector<VmJob>& jobs, size_t parallel, RunObserver& observer,
                    const std::vector<size_t>& order) {
  // The signals stay blocked after the pool returns: a second Ctrl-C must
  // not kill kgrid before the caller has written the results.
  PosixLauncher launcher;
  SteadyClock clock;
  return run_pool(jobs, parallel, observer, order, launcher, clock);
}

}  // namespace kgrid::host
