#include "util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

extern char** environ;

namespace kgrid {
namespace {

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string s(*e);
    vars[s.substr(0, s.find('='))] = s;
  }
  for (const auto& s : extra) vars[s.substr(0, s.find('='))] = s;
  std::vector<std::string> out;
  for (auto& [k, v] : vars) out.push_back(v);
  return out;
}

Error sys_error(const char* what) { return make_error(std::string(what) + ": " + std::strerror(errno)); }

void to_status(int raw, ExitStatus& status) {
  if (WIFEXITED(raw)) status.code = WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) status.signal = WTERMSIG(raw);
}

}  // namespace

std::string find_in_path(const std::string& program) {
  auto runnable = [](const std::string& p) {
    struct stat st{};
    return ::access(p.c_str(), X_OK) == 0 && ::stat(p.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
  };
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) return runnable(program) ? program : "";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (runnable(candidate)) return candidate;
  }
  return "";
}

Result<Child> Child::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) return make_error("empty command");
  std::string exe = find_in_path(argv[0]);
  if (exe.empty()) {
    errno = ENOENT;
    return make_error("cannot run " + argv[0] + ": " + std::strerror(ENOENT));
  }
  int out[2], err[2], exec_err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd err_r(err[0]), err_w(err[1]);
  if (::pipe2(exec_err, O_CLOEXEC) != 0) return sys_error("pipe");
  UniqueFd exec_r(exec_err[0]), exec_w(exec_err[1]);

  std::vector<std::string> env = merged_environment(options.env);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  const std::string cwd = options.cwd.string();
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
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
    if (cwd.empty() || ::chdir(cwd.c_str()) == 0) ::execve(exe.c_str(), cargv.data(), cenv.data());
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
    child.reap();
    std::string where = cwd.empty() ? "" : " in " + cwd;
    return make_error("cannot run " + argv[0] + where + ": " + std::strerror(e));
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
    reap();
  }
}

void Child::kill_group(int sig) {
  if (pid_ > 0) ::kill(-pid_, sig);
}

bool Child::try_reap() {
  if (reaped_) return true;
  int raw = 0;
  if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
    reaped_ = true;
    to_status(raw, status_);
  }
  return reaped_;
}

void Child::reap() {
  if (reaped_ || pid_ <= 0) return;
  int raw = 0;
  while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  to_status(raw, status_);
}

std::string ProcessResult::describe() const {
  std::string s = signal ? "killed by signal " + std::to_string(signal) : "exit code " + std::to_string(exit_code);
  std::string_view e = err;
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.remove_suffix(1);
  size_t nl = e.rfind('\n');
  if (!e.empty()) s += ": " + std::string(nl == std::string_view::npos ? e : e.substr(nl + 1));
  return s;
}

Result<ProcessResult> run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) return make_error("run_process: empty command");
  if (find_in_path(argv[0]).empty()) return make_error(argv[0] + ": not found in PATH");
  auto child = Child::spawn(argv, SpawnOptions{options.cwd, options.env});
  if (!child) return child.error();

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = false;
  struct pollfd fds[2] = {{child->stdout_fd(), POLLIN, 0}, {child->stderr_fd(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      for (;;) {
        ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          fds[i].fd = -1;
          --open_fds;
          break;
        }
        if (sinks[i]->size() < options.max_output) sinks[i]->append(buf, static_cast<size_t>(r));
      }
    }
  }
  if (timed_out) child->kill_group(SIGKILL);
  child->reap();
  child->kill_group(SIGKILL);  // helpers the program left behind in its group
  result.exit_code = child->status().signal ? -1 : child->status().code;
  result.signal = child->status().signal;
  if (timed_out)
    return make_error(argv[0] + ": timed out after " + std::to_string(options.timeout.count()) + " s");
  return result;
}

}  // namespace kgrid
