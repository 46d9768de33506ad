#include "vm/scheduler.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

#include "vm/process.h"

namespace kgrid::host {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr size_t kStderrKeep = 4096;

struct ActiveVm {
  size_t index = 0;
  const VmJob* job = nullptr;
  std::optional<Child> child;
  ConsoleMonitor console{""};
  UniqueFd log;
  Clock::time_point started, last_output;
  std::optional<Clock::time_point> begin_at, end_at, crash_at, test_started_at;
  uint64_t running_test_seq = ~0ull;
  int running_test_timeout = 0;
  std::string qemu_stderr;
  bool stdout_open = true, stderr_open = true;
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

class Pool {
 public:
  Pool(const std::vector<VmJob>& jobs, size_t parallel, RunObserver& observer, std::vector<size_t> order)
      : jobs_(jobs), parallel_(parallel == 0 ? 1 : parallel), observer_(observer), order_(std::move(order)) {
    // Anything but a permutation of the indexes falls back to 0, 1, 2...
    std::vector<bool> seen(jobs_.size(), false);
    bool valid = order_.size() == jobs_.size();
    for (size_t i = 0; valid && i < order_.size(); ++i) {
      valid = order_[i] < jobs_.size() && !seen[order_[i]];
      if (valid) seen[order_[i]] = true;
    }
    if (!valid) {
      order_.resize(jobs_.size());
      for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    }
  }

  PoolResult run();

 private:
  void start(size_t index);
  void read_stdout(ActiveVm& vm);
  void read_stderr(ActiveVm& vm);
  void after_records(ActiveVm& vm);
  // Returns the deadline kind that expired, if any, and fills `limit`.
  std::optional<EndKind> expired(const ActiveVm& vm, double& limit) const;
  double seconds_to_next_deadline(const ActiveVm& vm) const;
  void finish(size_t slot, VmEnd end);

  const std::vector<VmJob>& jobs_;
  size_t parallel_;
  RunObserver& observer_;
  std::vector<std::unique_ptr<ActiveVm>> active_;
  std::vector<size_t> order_;  // job indexes in starting order
  size_t next_ = 0;            // into order_
};

void Pool::start(size_t index) {
  const VmJob& job = jobs_[index];
  auto vm = std::make_unique<ActiveVm>();
  vm->index = index;
  vm->job = &job;
  vm->console = ConsoleMonitor(job.nonce);
  vm->started = vm->last_output = Clock::now();
  observer_.started(index);
  if (!job.console_log.empty())
    vm->log.reset(::open(job.console_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  auto child = Child::spawn(job.argv);
  if (!child) {
    VmOutcome outcome;
    outcome.end.kind = EndKind::SpawnFailed;
    outcome.end.detail = child.error().message;
    outcome.judgement = judge(vm->console, outcome.end, job.planned_tests);
    observer_.finished(index, outcome);
    return;
  }
  vm->child.emplace(std::move(*child));
  active_.push_back(std::move(vm));
}

void Pool::read_stdout(ActiveVm& vm) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(vm.child->stdout_fd(), buf, sizeof buf);
    if (n > 0) {
      vm.last_output = Clock::now();
      if (vm.log.valid()) write_all(vm.log.get(), buf, static_cast<size_t>(n));
      if (vm.console.feed(std::string_view(buf, static_cast<size_t>(n)))) after_records(vm);
      if (vm.console.crash() && !vm.crash_at) vm.crash_at = Clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      vm.stdout_open = false;
      vm.child->close_stdout();
    }
    return;  // EAGAIN or EOF or error
  }
}

void Pool::read_stderr(ActiveVm& vm) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(vm.child->stderr_fd(), buf, sizeof buf);
    if (n > 0) {
      vm.qemu_stderr.append(buf, static_cast<size_t>(n));
      if (vm.qemu_stderr.size() > kStderrKeep)
        vm.qemu_stderr.erase(0, vm.qemu_stderr.size() - kStderrKeep);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      vm.stderr_open = false;
      vm.child->close_stderr();
    }
    return;
  }
}

void Pool::after_records(ActiveVm& vm) {
  auto now = Clock::now();
  if (!vm.begin_at && vm.console.find_first("BEGIN")) vm.begin_at = now;
  if (!vm.end_at && vm.console.find_first("END")) vm.end_at = now;
  const protocol::Record* running = vm.console.running_test();
  if (running && running->seq != vm.running_test_seq) {
    vm.running_test_seq = running->seq;
    vm.test_started_at = now;
    vm.running_test_timeout = std::atoi(running->get("timeout_s").c_str());
    observer_.progress(vm.index, "test " + running->get("name"));
  } else if (!running && vm.test_started_at) {
    vm.test_started_at.reset();
    vm.running_test_seq = ~0ull;
  }
}

std::optional<EndKind> Pool::expired(const ActiveVm& vm, double& limit) const {
  const Deadlines& d = vm.job->deadlines;
  if (vm.crash_at && seconds_since(*vm.crash_at) >= d.crash_linger_s) {
    limit = d.crash_linger_s;
    return EndKind::Exited;  // the crash decides the verdict
  }
  if (vm.end_at && seconds_since(*vm.end_at) >= d.shutdown_s) {
    limit = d.shutdown_s;
    return EndKind::RunDeadline;
  }
  if (!vm.begin_at && seconds_since(vm.started) >= d.boot_s) {
    limit = d.boot_s;
    return EndKind::BootDeadline;
  }
  if (vm.test_started_at) {
    double test_limit = vm.running_test_timeout + d.test_grace_s;
    if (seconds_since(*vm.test_started_at) >= test_limit) {
      limit = test_limit;
      return EndKind::TestDeadline;
    }
  }
  if (seconds_since(vm.last_output) >= d.inactivity_s) {
    limit = d.inactivity_s;
    return EndKind::Inactivity;
  }
  if (seconds_since(vm.started) >= d.run_s) {
    limit = d.run_s;
    return EndKind::RunDeadline;
  }
  return std::nullopt;
}

double Pool::seconds_to_next_deadline(const ActiveVm& vm) const {
  const Deadlines& d = vm.job->deadlines;
  double next = d.run_s - seconds_since(vm.started);
  next = std::min(next, d.inactivity_s - seconds_since(vm.last_output));
  if (!vm.begin_at) next = std::min(next, d.boot_s - seconds_since(vm.started));
  if (vm.test_started_at)
    next = std::min(next, vm.running_test_timeout + d.test_grace_s - seconds_since(*vm.test_started_at));
  if (vm.end_at) next = std::min(next, d.shutdown_s - seconds_since(*vm.end_at));
  if (vm.crash_at) next = std::min(next, d.crash_linger_s - seconds_since(*vm.crash_at));
  return next;
}

void Pool::finish(size_t slot, VmEnd end) {
  ActiveVm& vm = *active_[slot];
  if (!vm.child->reaped()) {
    vm.child->kill_group(SIGKILL);
    while (!vm.child->try_reap()) ::usleep(1000);
  }
  // Whatever is still in the pipes belongs to the log.
  if (vm.stdout_open) read_stdout(vm);
  if (vm.stderr_open) read_stderr(vm);
  vm.console.flush();
  if (end.kind == EndKind::Exited) {
    end.exit_code = vm.child->status().code;
    end.signal = vm.child->status().signal;
  }
  end.qemu_stderr = vm.qemu_stderr;

  VmOutcome outcome;
  outcome.end = end;
  outcome.duration_s = seconds_since(vm.started);
  if (vm.begin_at) outcome.boot_s = std::chrono::duration<double>(*vm.begin_at - vm.started).count();
  outcome.judgement = judge(vm.console, end, vm.job->planned_tests);
  size_t index = vm.index;
  active_.erase(active_.begin() + static_cast<long>(slot));  // kills nothing: already reaped
  observer_.finished(index, outcome);
}

PoolResult Pool::run() {
  PoolResult result;
  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &mask, &old);
  UniqueFd sigfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

  // QEMU writes the console about a line at a time, so waking for every
  // write cost kgrid some 360 wake-ups per kernel. After a wake-up that
  // brought nothing but console output, let more collect before polling
  // again: the deadlines are seconds, and a VM's exit or a signal still
  // wakes the very next poll.
  constexpr long kCoalesceNs = 4'000'000;
  bool only_output = false;
  while (next_ < jobs_.size() || !active_.empty()) {
    while (active_.size() < parallel_ && next_ < jobs_.size()) start(order_[next_++]);
    if (active_.empty()) continue;
    if (only_output) {
      timespec pause{0, kCoalesceNs};
      ::nanosleep(&pause, nullptr);
    }

    std::vector<pollfd> fds;
    fds.push_back({sigfd.get(), POLLIN, 0});
    double wait_s = 1.0;
    for (auto& vm : active_) {
      fds.push_back({vm->stdout_open ? vm->child->stdout_fd() : -1, POLLIN, 0});
      fds.push_back({vm->stderr_open ? vm->child->stderr_fd() : -1, POLLIN, 0});
      fds.push_back({vm->child->pidfd(), POLLIN, 0});
      wait_s = std::min(wait_s, seconds_to_next_deadline(*vm));
    }
    // Without pidfd support, poll for exits every 50 ms.
    bool have_pidfds = true;
    for (auto& vm : active_)
      if (vm->child->pidfd() < 0) have_pidfds = false;
    if (!have_pidfds) wait_s = std::min(wait_s, 0.05);
    wait_s = std::max(wait_s, 0.0);
    timespec ts{static_cast<time_t>(wait_s), static_cast<long>(std::fmod(wait_s, 1.0) * 1e9)};
    int rc = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
    if (rc < 0 && errno != EINTR) break;
    only_output = rc > 0 && fds[0].revents == 0;
    for (size_t i = 0; only_output && i < active_.size(); ++i)
      only_output = fds[1 + i * 3 + 2].revents == 0 && (fds[1 + i * 3].revents & ~POLLIN) == 0;

    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(sigfd.get(), &info, sizeof info) == sizeof info) {
        result.interrupted = true;
        result.signal_name = info.ssi_signo == SIGINT ? "SIGINT" : info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGHUP";
        break;
      }
    }
    for (size_t slot = active_.size(); slot-- > 0;) {
      ActiveVm& vm = *active_[slot];
      const pollfd* f = &fds[1 + slot * 3];
      if (f[0].revents) read_stdout(vm);
      if (f[1].revents) read_stderr(vm);
      bool exited = (f[2].revents != 0 || !have_pidfds) && vm.child->try_reap();
      if (exited) {
        finish(slot, VmEnd{});  // kind: Exited
        continue;
      }
      double limit = 0;
      if (auto kind = expired(vm, limit)) {
        VmEnd end;
        end.kind = *kind;
        end.deadline_s = limit;
        finish(slot, end);
      }
    }
  }

  if (result.interrupted) {
    // Kill every VM group first, then judge them; jobs never started are reported too.
    for (auto& vm : active_) vm->child->kill_group(SIGKILL);
    while (!active_.empty()) {
      VmEnd end;
      end.kind = EndKind::Interrupted;
      end.detail = result.signal_name;
      finish(active_.size() - 1, end);
    }
    for (; next_ < jobs_.size(); ++next_) {
      VmOutcome outcome;
      outcome.end.kind = EndKind::Interrupted;
      outcome.end.detail = result.signal_name;
      outcome.judgement.verdict = results::Verdict::InfraError;
      outcome.judgement.reason = "not run: the sweep was interrupted (" + result.signal_name + ")";
      observer_.finished(order_[next_], outcome);
    }
  }
  // The mask stays blocked: a second Ctrl-C must not kill kgrid before the
  // caller has written the results. The caller exits normally afterwards.
  (void)old;
  return result;
}

}  // namespace

PoolResult run_pool(const std::vector<VmJob>& jobs, size_t parallel, RunObserver& observer,
                    const std::vector<size_t>& order) {
  Pool pool(jobs, parallel, observer, order);
  return pool.run();
}

}  // namespace kgrid::host
