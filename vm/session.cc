#include "vm/session.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "vm/terminal.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kStderrKeep = 4096;
constexpr size_t kMaxPendingInput = 1 << 16;

// Blocks the signals kgrid handles itself for the session's lifetime.
class SignalBlock {
 public:
  SignalBlock() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~SignalBlock() {
    // Drop what arrived while blocked (e.g. SIGPIPE) before unblocking.
    timespec zero{0, 0};
    sigset_t pending;
    sigpending(&pending);
    for (int sig : {SIGPIPE})
      if (sigismember(&pending, sig)) {
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        ::sigtimedwait(&one, nullptr, &zero);
      }
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_{}, old_{};
};

// Writes everything, waiting if the descriptor is non-blocking and full.
bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 1000);
      continue;
    }
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

class Relay {
 public:
  Relay(const SessionOptions& o, ConsoleMonitor* monitor, UniqueFd to_guest, UniqueFd from_guest, UniqueFd log)
      : o_(o), monitor_(monitor), to_guest_(std::move(to_guest)), from_guest_(std::move(from_guest)),
        log_(std::move(log)) {}

  // Relays until QEMU exits or a signal arrives on `sigfd`.
  void run(Child& qemu, int sigfd, SessionEnd& end);
  // Makes sure kgrid's next words start on a fresh line.
  void end_line() {
    if (last_out_ != '\n') write_all(o_.out_fd, "\r\n", 2);
    last_out_ = '\n';
  }

 private:
  void console_out(const char* data, size_t n);
  void drain(int fd, bool is_console, std::string* keep);
  void read_input();

  const SessionOptions& o_;
  ConsoleMonitor* monitor_;
  UniqueFd to_guest_, from_guest_, log_;
  std::string pending_input_;
  bool input_open_ = true;
  char last_out_ = '\n';
};

void Relay::console_out(const char* data, size_t n) {
  if (n == 0) return;
  write_all(o_.out_fd, data, n);
  last_out_ = data[n - 1];
  if (log_.valid()) write_all(log_.get(), data, n);
  if (monitor_) monitor_->feed(std::string_view(data, n));
}

// Reads what is there now (the fd is non-blocking). QEMU's own messages go
// to the terminal too, and their tail is kept for the report.
void Relay::drain(int fd, bool is_console, std::string* keep) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (is_console) {
      console_out(buf, static_cast<size_t>(n));
      continue;
    }
    write_all(o_.out_fd, buf, static_cast<size_t>(n));
    last_out_ = buf[n - 1];
    keep->append(buf, static_cast<size_t>(n));
    if (keep->size() > kStderrKeep) keep->erase(0, keep->size() - kStderrKeep);
  }
}

void Relay::read_input() {
  char buf[4096];
  ssize_t n = ::read(o_.in_fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    input_open_ = false;  // EOF (or a hang-up): the guest keeps running until it ends
    return;
  }
  pending_input_.append(buf, static_cast<size_t>(n));
}

void Relay::run(Child& qemu, int sigfd, SessionEnd& end) {
  std::string qemu_out;
  bool out_open = true, err_open = true;
  for (;;) {
    enum { kSig, kIn, kToGuest, kFromGuest, kOut, kErr, kPid, kCount };
    pollfd fds[kCount] = {
        {sigfd, POLLIN, 0},
        {input_open_ && pending_input_.size() < kMaxPendingInput ? o_.in_fd : -1, POLLIN, 0},
        {pending_input_.empty() ? -1 : to_guest_.get(), POLLOUT, 0},
        {from_guest_.get(), POLLIN, 0},
        {out_open ? qemu.stdout_fd() : -1, POLLIN, 0},
        {err_open ? qemu.stderr_fd() : -1, POLLIN, 0},
        {qemu.pidfd(), POLLIN, 0},
    };
    // Without pidfd support, look for QEMU's exit every 100 ms.
    int rc = ::poll(fds, kCount, qemu.pidfd() >= 0 ? -1 : 100);
    if (rc < 0 && errno != EINTR) return;
    if (fds[kSig].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(sigfd, &info, sizeof info) == sizeof info && info.ssi_signo != SIGPIPE) {
        end.signal_name = info.ssi_signo == SIGINT ? "SIGINT" : info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGHUP";
        return;  // the caller kills QEMU's group
      }
    }
    if (fds[kIn].revents) read_input();
    if (fds[kToGuest].revents & POLLOUT) {
      ssize_t w = ::write(to_guest_.get(), pending_input_.data(), pending_input_.size());
      if (w > 0) pending_input_.erase(0, static_cast<size_t>(w));
    }
    if (fds[kFromGuest].revents) drain(from_guest_.get(), true, nullptr);
    if (fds[kOut].revents) {
      drain(qemu.stdout_fd(), false, &qemu_out);
      if (fds[kOut].revents & POLLHUP) out_open = false;
    }
    if (fds[kErr].revents) {
      drain(qemu.stderr_fd(), false, &end.qemu_stderr);
      if (fds[kErr].revents & POLLHUP) err_open = false;
    }
    if ((fds[kPid].revents || qemu.pidfd() < 0) && qemu.try_reap()) {
      drain(from_guest_.get(), true, nullptr);
      if (out_open) drain(qemu.stdout_fd(), false, &qemu_out);
      if (err_open) drain(qemu.stderr_fd(), false, &end.qemu_stderr);
      if (monitor_) monitor_->flush();
      end.qemu = qemu.status();
      return;
    }
  }
}

std::string option_value(const std::string& options, const std::string& key) {
  size_t i = 0;
  while (i <= options.size()) {
    size_t end = options.find(',', i);
    if (end == std::string::npos) end = options.size();
    std::string part = options.substr(i, end - i);
    if (part.rfind(key + "=", 0) == 0) return part.substr(key.size() + 1);
    i = end + 1;
  }
  return "";
}

Result<UniqueFd> make_fifo(const fs::path& path) {
  if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST)
    return make_error("mkfifo " + path.string() + ": " + std::strerror(errno));
  // O_RDWR: never blocks and never sees EOF when QEMU closes its end.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return make_error("open " + path.string() + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

Result<std::vector<std::string>> interactive_argv(const std::vector<std::string>& argv, const fs::path& fifo_base) {
  std::vector<std::string> out;
  bool replaced = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (!replaced && argv[i] == "-chardev" && i + 1 < argv.size() && argv[i + 1].rfind("stdio,", 0) == 0) {
      std::string id = option_value(argv[i + 1], "id");
      if (id.empty()) return make_error("the QEMU console chardev has no id: " + argv[i + 1]);
      out.insert(out.end(), {"-chardev", "pipe,id=" + id + ",path=" + fifo_base.string() + ",mux=on", "-mon",
                             "chardev=" + id + ",mode=readline"});
      replaced = true;
      ++i;
      continue;
    }
    out.push_back(argv[i]);
  }
  if (!replaced) return make_error("the QEMU command has no '-chardev stdio,...' console to take over");
  return out;
}

Result<SessionEnd> run_session(const SessionOptions& o, ConsoleMonitor* monitor) {
  fs::path base = o.work_dir / "console";
  auto to_guest = make_fifo(base.string() + ".in");
  if (!to_guest) return to_guest.error();
  auto from_guest = make_fifo(base.string() + ".out");
  if (!from_guest) return from_guest.error();
  auto argv = interactive_argv(o.argv, base);
  if (!argv) return argv.error();
  UniqueFd log;
  if (!o.console_log.empty()) {
    log.reset(::open(o.console_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!log.valid()) return make_error("cannot write " + o.console_log.string() + ": " + std::strerror(errno));
  }

  SignalBlock signals;
  UniqueFd sigfd(::signalfd(-1, &signals.set(), SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd.valid()) return make_error(std::string("signalfd: ") + std::strerror(errno));
  auto started = Clock::now();
  auto qemu = Child::spawn(*argv);
  if (!qemu) return make_error(qemu.error().message);

  SessionEnd end;
  {
    RawTerminal raw(o.in_fd);
    Relay relay(o, monitor, std::move(*to_guest), std::move(*from_guest), std::move(log));
    relay.run(*qemu, sigfd.get(), end);
    if (!qemu->reaped()) {
      qemu->kill_group(SIGKILL);
      while (!qemu->try_reap()) ::usleep(1000);
      end.qemu = qemu->status();
    }
    relay.end_line();
  }
  end.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
  return end;
}

}  // namespace kgrid::host
