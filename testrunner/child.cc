#include "testrunner/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kgrid::testrunner {
namespace {

constexpr int64_t kPipeGraceMs = 300;

void on_sigchld(int) {}

// SIGCHLD stays blocked except inside ppoll(), so a child's exit always
// interrupts the wait instead of racing with it.
sigset_t& wait_mask() {
  static sigset_t mask = [] {
    struct sigaction sa {};
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, nullptr);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    sigdelset(&old, SIGCHLD);
    return old;
  }();
  return mask;
}

[[noreturn]] void exec_child(char* const* argv, int out_fd, int err_fd, int error_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGCHLD, SIG_DFL);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    if (null_fd != 0) ::close(null_fd);
  } else {
    ::close(0);
  }
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::execvp(argv[0], argv);
  int err = errno;
  ssize_t ignored = ::write(error_fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

bool read_into(guest::UniqueFd& fd, OutputBuffer& buffer) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      buffer.append(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    fd.reset();  // EOF or error
    return false;
  }
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// The master side of a new pseudo-terminal. A kgrid guest has no devpts
// mounted; mount a private instance the first time one is needed.
Result<guest::UniqueFd> open_pty_master() {
  guest::UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (master.valid()) return master;
  int first_errno = errno;
  ::mkdir("/dev/pts", 0755);
  ::mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
  master = guest::UniqueFd(::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (master.valid()) return master;
  errno = first_errno;
  return make_error(errno_text("cannot open a pseudo-terminal (/dev/ptmx)"));
}

// A raw (no "\r\n" translation) pseudo-terminal: {master, slave}.
Result<std::pair<guest::UniqueFd, guest::UniqueFd>> open_pty() {
  auto master = open_pty_master();
  if (!master) return master.error();
  int unlock = 0;
  if (::ioctl(master->get(), TIOCSPTLCK, &unlock) != 0) return make_error(errno_text("unlockpt"));
  guest::UniqueFd slave;
#ifdef TIOCGPTPEER
  slave = guest::UniqueFd(::ioctl(master->get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
#endif
  if (!slave.valid()) {
    unsigned int n = 0;
    if (::ioctl(master->get(), TIOCGPTN, &n) != 0) return make_error(errno_text("TIOCGPTN"));
    std::string name = "/dev/pts/" + std::to_string(n);
    slave = guest::UniqueFd(::open(name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave.valid()) return make_error(errno_text("cannot open " + name));
  }
  termios t{};
  if (::tcgetattr(slave.get(), &t) == 0) {
    ::cfmakeraw(&t);
    ::tcsetattr(slave.get(), TCSANOW, &t);
  }
  return std::make_pair(std::move(*master), std::move(slave));
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal == 0) return "exit status " + std::to_string(code);
  const char* name = ::strsignal(signal);
  return "signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : "");
}

Result<Child> Child::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) return make_error("empty command line");
  wait_mask();
  std::vector<char*> c_argv;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);

  int err[2], status[2];
  guest::UniqueFd out_r, out_w;
  if (options.stdout_pty) {
    auto pty = open_pty();
    if (!pty) return pty.error();
    out_r = std::move(pty->first);
    out_w = std::move(pty->second);
  } else {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
    out_r = guest::UniqueFd(out[0]);
    out_w = guest::UniqueFd(out[1]);
  }
  if (::pipe2(err, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  guest::UniqueFd err_r(err[0]), err_w(err[1]);
  if (::pipe2(status, O_CLOEXEC) != 0)
    return make_error(std::string("pipe: ") + std::strerror(errno));
  guest::UniqueFd status_r(status[0]), status_w(status[1]);

  pid_t pid = ::fork();
  if (pid < 0) return make_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(c_argv.data(), out_w.get(), err_w.get(), status_w.get());
  ::setpgid(pid, pid);  // also done in the child; whichever runs first wins

  Child child;
  child.pid_ = pid;
  out_w.reset();
  err_w.reset();
  status_w.reset();
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);
  child.out_fd_ = std::move(out_r);
  child.err_fd_ = std::move(err_r);

  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(status_r.get(), &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_errno))
    return make_error("cannot run " + argv[0] + ": " + std::strerror(exec_errno));
  return child;
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      out_fd_(std::move(o.out_fd_)),
      err_fd_(std::move(o.err_fd_)),
      out_(std::move(o.out_)),
      err_(std::move(o.err_)),
      reaped_(o.reaped_),
      reaped_at_(o.reaped_at_),
      status_(o.status_) {}

Child::~Child() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);  // the group: also grandchildren
  if (!reaped_) {
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

void Child::signal_group(int sig) {
  if (pid_ > 0) ::kill(-pid_, sig);
}

void Child::add_pollfds(std::vector<pollfd>& fds) const {
  if (out_fd_.valid()) fds.push_back({out_fd_.get(), POLLIN, 0});
  if (err_fd_.valid()) fds.push_back({err_fd_.get(), POLLIN, 0});
}

void Child::read_available() {
  if (out_fd_.valid()) read_into(out_fd_, out_);
  if (err_fd_.valid()) read_into(err_fd_, err_);
}

bool Child::try_reap(int64_t now_ms) {
  if (reaped_ || pid_ <= 0) return reaped_;
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got != pid_) return false;
  reaped_ = true;
  reaped_at_ = now_ms;
  if (WIFEXITED(status)) status_.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) status_.signal = WTERMSIG(status);
  return true;
}

bool Child::finished(int64_t now_ms) const {
  if (!reaped_) return false;
  return (!out_fd_.valid() && !err_fd_.valid()) || now_ms >= reaped_at_ + kPipeGraceMs;
}

int64_t Child::finish_deadline_ms() const {
  return reaped_ ? reaped_at_ + kPipeGraceMs : INT64_MAX;
}

void pump(const std::vector<Child*>& children, int64_t deadline_ms) {
  std::vector<pollfd> fds;
  int64_t deadline = deadline_ms;
  const int64_t start = guest::monotonic_ms();
  for (const Child* c : children) {
    c->add_pollfds(fds);
    // A child that already finished has nothing left to wait for; its
    // (past) finish deadline would turn this wait into a busy loop.
    if (!c->finished(start)) deadline = std::min(deadline, c->finish_deadline_ms());
  }
  int64_t wait = std::max<int64_t>(0, deadline - start);
  timespec ts{static_cast<time_t>(wait / 1000), static_cast<long>(wait % 1000) * 1000000};
  ::ppoll(fds.data(), fds.size(), &ts, &wait_mask());
  int64_t now = guest::monotonic_ms();
  for (Child* c : children) {
    c->read_available();
    c->try_reap(now);
  }
}

}  // namespace kgrid::testrunner
