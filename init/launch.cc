#include "init/launch.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "guest/guest_io.h"

namespace kgrid::init {
namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child: only async-signal-safe calls.
[[noreturn]] void exec_child(const LaunchSpec& spec, char* const* argv, char* const* env,
                             int error_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setsid();
  if (!spec.tty.empty()) {
    int tty = ::open(spec.tty.c_str(), O_RDWR);
    if (tty >= 0) {
      ::ioctl(tty, TIOCSCTTY, 0);
      for (int fd = 0; fd < 3; ++fd) ::dup2(tty, fd);
      if (tty > 2) ::close(tty);
    }
  }
  ::execve(spec.path.c_str(), argv, env);
  int err = errno;
  ssize_t ignored = ::write(error_fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

}  // namespace

Result<pid_t> launch(const LaunchSpec& spec) {
  std::vector<char*> argv = c_strings(spec.argv);
  std::vector<char*> env = c_strings(spec.env);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_error(std::string("pipe: ") + std::strerror(errno));
  guest::UniqueFd read_end(fds[0]), write_end(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) return make_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(spec, argv.data(), env.data(), write_end.get());
  write_end.reset();
  int err = 0;
  ssize_t n;
  do {
    n = ::read(read_end.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof err)) {
    reap_until(pid);
    return make_error("cannot run " + spec.path + ": " + std::strerror(err));
  }
  return pid;
}

std::optional<int> reap_until(pid_t pid) {
  for (;;) {
    int status = 0;
    pid_t got = ::waitpid(-1, &status, 0);
    if (got == pid) return status;
    if (got < 0 && errno == ECHILD) return std::nullopt;
  }
}

void power_off(int console_fd) {
  guest::say(console_fd, "kgrid-init: powering off");
  ::tcdrain(console_fd);  // let the serial port send what is buffered
  ::kill(-1, SIGKILL);
  for (;;) {
    pid_t got = ::waitpid(-1, nullptr, 0);
    if (got > 0 || (got < 0 && errno == EINTR)) continue;
    break;
  }
  ::sync();
  ::reboot(RB_POWER_OFF);
  ::reboot(RB_AUTOBOOT);  // QEMU runs with -no-reboot: this ends it too
  for (;;) ::pause();
}

std::string console_tty_path() {
  std::string active = guest::read_file("/sys/class/tty/console/active");
  while (!active.empty() && (active.back() == '\n' || active.back() == ' ')) active.pop_back();
  size_t space = active.rfind(' ');
  std::string name = space == std::string::npos ? active : active.substr(space + 1);
  return name.empty() ? "" : "/dev/" + name;
}

}  // namespace kgrid::init
