// kgrid-init: PID 1 of a kgrid guest. Mounts the file systems, says BEGIN,
// runs the testrunner (or a shell), stands in for it with END if it dies, and
// powers off. It never returns: PID 1 exiting would panic the kernel.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "guest/guest_io.h"
#include "init/launch.h"
#include "init/mounts.h"
#include "guest/runner_contract.h"

using namespace kgrid;
using namespace kgrid::init;

namespace {

constexpr int kConsole = 1;

// The kernel gives init /dev/console as fds 0-2 if the initramfs has it;
// if not, open it from the devtmpfs just mounted.
void ensure_console() {
  if (::fcntl(kConsole, F_GETFD) >= 0) return;
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; ++i)
    if (fd != i) ::dup2(fd, i);
  if (fd > 2) ::close(fd);
}

// BPF maps are charged to RLIMIT_MEMLOCK before 5.11; never let that fail a test.
void lift_memlock_limit() {
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  ::setrlimit(RLIMIT_MEMLOCK, &unlimited);
}

std::vector<std::string> base_env() {
  return {"PATH=/kgrid/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "TERM=linux"};
}

// busybox's poweroff, halt and reboot ask PID 1 with SIGUSR2, SIGUSR1 and
// SIGTERM. Killing every other process ends the shell, and init powers off.
// (Only kill() here: it is async-signal-safe.)
void end_all_but_init(int) { ::kill(-1, SIGKILL); }

void honour_poweroff_requests() {
  struct sigaction sa {};
  sa.sa_handler = end_all_but_init;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGUSR1, SIGUSR2, SIGTERM}) ::sigaction(sig, &sa, nullptr);
}

void run_shell() {
  guest::say(kConsole, "kgrid-init: starting /bin/sh; exit it or run poweroff to power off");
  honour_poweroff_requests();
  // "-sh": a login shell, which reads /etc/profile (set up by kgrid shell).
  LaunchSpec spec{kShellPath, {"-sh"}, base_env(), console_tty_path()};
  auto pid = launch(spec);
  if (!pid) {
    guest::say(kConsole, "kgrid-init: " + pid.error().message);
    return;
  }
  reap_until(*pid);
}

void run_testrunner(const std::string& nonce) {
  std::vector<std::string> env = base_env();
  env.push_back(std::string(kSeqEnv) + "=" + std::to_string(kTestrunnerFirstSeq));
  env.push_back(std::string(kNonceEnv) + "=" + nonce);
  LaunchSpec spec{kTestrunnerPath, {"kgrid-testrunner"}, env, ""};

  std::string crash;
  auto pid = launch(spec);
  if (!pid) {
    crash = pid.error().message;
  } else {
    auto status = reap_until(*pid);
    auto reason = status ? runner_crash_reason(*status) : "lost track of the testrunner (waitpid: ECHILD)";
    if (reason) crash = *reason;
  }
  if (crash.empty()) return;
  guest::say(kConsole, "kgrid-init: " + crash);
  guest::send_record(kConsole, nonce, kInitEndSeq, "END",
                     {{"tests", "0"}, {"status", "runner_crashed"}, {"reason", crash}});
}

void run() {
  ::umask(022);
  auto failures = mount_all(guest_mounts());
  ensure_console();
  BootOptions options = parse_boot_options(guest::read_file("/proc/cmdline"));

  guest::send_record(kConsole, options.nonce, kBeginSeq, "BEGIN",
                     {{"proto", "1"},
                      {"init_ms", std::to_string(guest::boottime_ms())},
                      {"mounts_failed", failed_names(failures)}});
  for (const auto& f : failures) guest::say(kConsole, "kgrid-init: " + f.message);
  if (options.nonce.empty())
    guest::say(kConsole, "kgrid-init: no kgrid.nonce= on the kernel command line");
  lift_memlock_limit();

  bool have_shell = ::access(kShellPath, X_OK) == 0;
  if ((options.shell || options.shell_after_tests) && !have_shell)
    guest::say(kConsole, "kgrid-init: a shell was asked for, but there is no /bin/sh in the initramfs");
  if (options.shell && have_shell) {
    run_shell();
    return;
  }
  run_testrunner(options.nonce);
  if (options.shell_after_tests && have_shell) run_shell();
}

}  // namespace

int main() {
  if (::getpid() != 1) {
    guest::say(2, "kgrid-init: must run as PID 1 (it powers the machine off)");
    return 1;
  }
  try {
    run();
  } catch (...) {
    guest::say(kConsole, "kgrid-init: internal error");
  }
  power_off(kConsole);
}
