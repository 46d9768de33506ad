#include "vm/posix_launcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "vm/scheduler.h"

namespace kgrid::host {
namespace {

// Reads what the pipe holds now; false once it reached EOF (or failed).
bool drain(int fd, std::string& out) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

const char* signal_name(uint32_t signo) {
  return signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "SIGHUP";
}

}  // namespace

double SteadyClock::now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

PosixLauncher::PosixLauncher() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  sigfd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
}

Result<size_t> PosixLauncher::launch(const VmJob& job) {
  auto child = Child::spawn(job.argv);
  if (!child) return child.error();
  size_t handle = next_handle_++;
  vms_.emplace(handle, Running{std::move(*child)});
  return handle;
}

Status PosixLauncher::wait(double timeout_s, std::vector<LaunchEvent>& events) {
  // QEMU writes the console about a line at a time, so waking for every
  // write cost kgrid some 360 wake-ups per kernel. After a wake-up that
  // brought nothing but console output, let more collect before polling
  // again: the deadlines are seconds, and a VM's exit or a signal still
  // wakes the very next poll.
  constexpr long kCoalesceNs = 4'000'000;
  if (only_output_) {
    timespec pause{0, kCoalesceNs};
    ::nanosleep(&pause, nullptr);
  }

  std::vector<pollfd> fds;
  std::vector<size_t> handles;
  fds.push_back({sigfd_.get(), POLLIN, 0});
  bool have_pidfds = true;
  for (auto& [handle, vm] : vms_) {
    handles.push_back(handle);
    fds.push_back({vm.stdout_open ? vm.child.stdout_fd() : -1, POLLIN, 0});
    fds.push_back({vm.stderr_open ? vm.child.stderr_fd() : -1, POLLIN, 0});
    fds.push_back({vm.child.pidfd(), POLLIN, 0});
    if (vm.child.pidfd() < 0) have_pidfds = false;
  }
  // Without pidfd support, look for exits every 50 ms.
  if (!have_pidfds) timeout_s = std::min(timeout_s, 0.05);
  timeout_s = std::max(timeout_s, 0.0);
  timespec ts{static_cast<time_t>(timeout_s), static_cast<long>(std::fmod(timeout_s, 1.0) * 1e9)};
  int rc = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
  if (rc < 0 && errno != EINTR) return make_error(std::string("ppoll: ") + std::strerror(errno));

  only_output_ = rc > 0 && fds[0].revents == 0;
  if (fds[0].revents & POLLIN) {
    signalfd_siginfo info{};
    if (::read(sigfd_.get(), &info, sizeof info) == sizeof info) {
      only_output_ = false;
      events.push_back({LaunchEvent::Kind::Signal, 0, signal_name(info.ssi_signo), {}});
      return ok_status();
    }
  }
  for (size_t i = 0; i < handles.size(); ++i) {
    Running& vm = vms_.at(handles[i]);
    const pollfd* f = &fds[1 + i * 3];
    if (f[0].revents) {
      LaunchEvent e{LaunchEvent::Kind::Stdout, handles[i], {}, {}};
      vm.stdout_open = drain(vm.child.stdout_fd(), e.data);
      if (!vm.stdout_open) vm.child.close_stdout();
      if (!e.data.empty()) events.push_back(std::move(e));
      if ((f[0].revents & ~POLLIN) != 0) only_output_ = false;
    }
    if (f[1].revents) {
      LaunchEvent e{LaunchEvent::Kind::Stderr, handles[i], {}, {}};
      vm.stderr_open = drain(vm.child.stderr_fd(), e.data);
      if (!vm.stderr_open) vm.child.close_stderr();
      if (!e.data.empty()) events.push_back(std::move(e));
    }
    if (f[2].revents) only_output_ = false;
    if ((f[2].revents != 0 || !have_pidfds) && vm.child.try_reap())
      events.push_back({LaunchEvent::Kind::Exited, handles[i], {}, vm.child.status()});
  }
  return ok_status();
}

LaunchEnd PosixLauncher::stop(size_t handle) {
  LaunchEnd end;
  auto it = vms_.find(handle);
  if (it == vms_.end()) return end;
  Running& vm = it->second;
  if (!vm.child.reaped()) {
    vm.child.kill_group(SIGKILL);
    while (!vm.child.try_reap()) ::usleep(1000);
  }
  // Whatever is still in the pipes belongs to the log.
  if (vm.stdout_open) drain(vm.child.stdout_fd(), end.stdout_rest);
  if (vm.stderr_open) drain(vm.child.stderr_fd(), end.stderr_rest);
  end.status = vm.child.status();
  vms_.erase(it);  // the Child is reaped: its destructor kills nothing
  return end;
}

}  // namespace kgrid::host
