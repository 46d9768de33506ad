#include "vm/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kgrid::host {

Result<Child> Child::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error("empty command");
  int out[2], err[2], exec_err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  UniqueFd err_r(err[0]), err_w(err[1]);
  if (::pipe2(exec_err, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
  UniqueFd exec_r(exec_err[0]), exec_w(exec_err[1]);

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return make_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_w.get(), 1);
    ::dup2(err_w.get(), 2);
    ::execvp(cargv[0], cargv.data());
    int e = errno;
    ssize_t ignored = ::write(exec_w.get(), &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so kill_group works at once
  exec_w.reset();
  out_w.reset();
  err_w.reset();

  Child child;
  child.pid_ = pid;
  int e = 0;
  ssize_t n;
  do n = ::read(exec_r.get(), &e, sizeof e);
  while (n < 0 && errno == EINTR);
  if (n == sizeof e) {
    int status;
    ::waitpid(pid, &status, 0);
    child.reaped_ = true;
    return make_error("cannot run " + argv[0] + ": " + std::strerror(e));
  }
  child.out_ = std::move(out_r);
  child.err_ = std::move(err_r);
  child.pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ::fcntl(child.out_.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(child.err_.get(), F_SETFL, O_NONBLOCK);
  return child;
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      out_(std::move(o.out_)),
      err_(std::move(o.err_)),
      pidfd_(std::move(o.pidfd_)),
      reaped_(std::exchange(o.reaped_, true)),
      status_(o.status_) {}

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    kill_group(SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void Child::kill_group(int sig) {
  if (pid_ > 0) ::kill(-pid_, sig);
}

bool Child::try_reap() {
  if (reaped_) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    if (WIFEXITED(status)) status_.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) status_.signal = WTERMSIG(status);
  }
  return reaped_;
}

}  // namespace kgrid::host
