#include "cli/repro_cmd.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <system_error>
#include <thread>

#include "vm/accel_probe.h"
#include "vm/qemu.h"
#include "vm/repro_spec.h"
#include "vm/scheduler.h"
#include "sweep/shell_files.h"
#include "vm/session.h"
#include "cli/status.h"
#include "vm/terminal.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;
using results::Verdict;

int fail(const std::string& message) {
  std::fprintf(stderr, "kgrid: error: %s\n", message.c_str());
  return 2;
}

// Copies a growing file (the console log run_pool writes) to a descriptor
// until stopped: the live, verbose console of a non-interactive repro.
class Follower {
 public:
  Follower(fs::path path, int out_fd) : path_(std::move(path)), out_fd_(out_fd) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Follower() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    UniqueFd fd;
    char buf[16384];
    for (;;) {
      bool last = stop_.load();
      if (!fd.valid()) fd.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
      ssize_t n;
      while (fd.valid() && (n = ::read(fd.get(), buf, sizeof buf)) > 0)
        if (::write(out_fd_, buf, static_cast<size_t>(n)) < 0) break;
      if (last) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  fs::path path_;
  int out_fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class OneVm : public RunObserver {
 public:
  void started(size_t) override {}
  void finished(size_t, const VmOutcome& o) override { outcome = o; }
  VmOutcome outcome;
};

const ArchSpec* arch_of(const std::vector<std::string>& argv) {
  for (const char* arch : {"x86_64", "arm64"})
    if (const ArchSpec* spec = find_arch(arch); spec && spec->qemu_binary == argv[0]) return spec;
  return nullptr;
}

void print_judgement(const std::string& id, const VmOutcome& o) {
  StatusPrinter printer;
  const Judgement& j = o.judgement;
  std::string line = fmt::format("kgrid repro: {} {} ({:.1f}s)", printer.verdict(j.verdict), id, o.duration_s);
  if (!j.reason.empty()) line += ": " + j.reason;
  printer.print(line);
  for (const auto& t : j.tests) {
    std::string tl = fmt::format("    {:<9} {}", results::verdict_name(t.verdict), t.name);
    if (!t.reason.empty()) tl += ": " + t.reason;
    printer.print(tl);
  }
  for (const auto& w : j.warnings) printer.print("    warning: " + w);
}

int exit_code(Verdict v) { return v == Verdict::Pass ? 0 : 1; }

// The tests, then a shell on the user's terminal; judged when QEMU ends.
int run_with_shell(const ReproOptions& options, const ReproSpec& spec, std::vector<std::string> argv,
                   const fs::path& log) {
  const ArchSpec* arch = arch_of(argv);
  auto busybox = find_busybox(arch ? arch->arch : "", BusyboxSearch{options.busybox});
  if (!busybox) return fail(busybox.error().message);
  auto tmp = TempDir::create("kgrid-repro-");
  if (!tmp) return fail(tmp.error().message);
  ShellFilesOptions files;
  files.busybox = *busybox;
  files.banner = "kgrid repro --shell: kernel " + spec.id + "; the tests ran above (kgrid-test runs them again)";
  if (auto ws = window_size(STDIN_FILENO)) files.rows = ws->rows, files.cols = ws->cols;
  fs::path initrd = tmp->path() / "initrd.img";
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] != "-initrd") continue;
    if (auto st = add_shell_overlay(argv[i + 1], files, initrd); !st) return fail(st.error().message);
    argv[i + 1] = initrd.string();
  }
  std::fflush(stdout);

  SessionOptions session;
  session.argv = argv;
  session.work_dir = tmp->path();
  session.console_log = log;
  ConsoleMonitor console(spec.nonce);
  auto end = run_session(session, &console);
  if (!end) return fail("cannot start QEMU: " + end.error().message);

  VmOutcome outcome;
  outcome.end.kind = end->signal_name.empty() ? EndKind::Exited : EndKind::Interrupted;
  outcome.end.detail = end->signal_name;
  outcome.end.exit_code = end->qemu.code;
  outcome.end.signal = end->qemu.signal;
  outcome.end.qemu_stderr = end->qemu_stderr;
  outcome.duration_s = end->duration_s;
  outcome.judgement = judge(console, outcome.end, spec.planned_tests);
  print_judgement(spec.id, outcome);
  if (!end->signal_name.empty()) return 130;
  return exit_code(outcome.judgement.verdict);
}

}  // namespace

int repro_command(const ReproOptions& options) {
  auto spec = load_repro_spec(options.kernel_dir);
  if (!spec) return fail(spec.error().message);
  std::error_code ec;
  for (const char* option : {"-kernel", "-initrd"}) {
    std::string file = argv_value(spec->argv, option);
    if (file.empty() || !fs::is_regular_file(file, ec))
      return fail(fmt::format("{}: the recorded {} file {} is gone; run kgrid run again", spec->id, option,
                              file.empty() ? "(none)" : file));
  }
  if (find_in_path(spec->argv[0]).empty())
    return fail(spec->argv[0] + " is not installed; install it with: sudo apt-get install qemu-system-x86");
  // The accelerator: what the sweep used, unless it cannot work here or
  // another was asked for. The probe (when the cache has no verdict) boots
  // the recorded kernel and initramfs.
  auto request = accel_request(options.accel, options.no_kvm, std::getenv);
  if (!request) return fail(request.error().message);
  ReproChanges changes;
  changes.shell = options.shell;
  const bool recorded_kvm = argv_value(spec->argv, "-accel") == "kvm";
  if (recorded_kvm || request->mode == AccelMode::Kvm) {
    const ArchSpec* arch = find_arch_by_qemu(spec->argv[0]);
    AccelSetup setup;
    setup.request = *request;
    setup.guest_arch = arch ? arch->arch : "";
    setup.probe_kernel = [&]() -> Result<ProbeKernel> {
      return ProbeKernel{spec->id, setup.guest_arch, argv_value(spec->argv, "-kernel"), argv_value(spec->argv, "-initrd")};
    };
    auto accel = choose_accel(setup);
    if (!accel) return fail(accel.error().message);
    if (accel->interrupted) return 130;
    changes.kvm_usable = accel->kvm;
    changes.why_not_kvm = accel->cause;
    changes.to_kvm = accel->kvm && request->mode == AccelMode::Kvm;
  } else if (request->mode == AccelMode::Tcg) {
    changes.kvm_usable = false;
  }
  std::vector<std::string> notes;
  auto argv = repro_argv(spec->argv, changes, notes);
  if (!argv) return fail(argv.error().message);

  fmt::print("kgrid repro: {}: the sweep's kernel, initramfs and QEMU command, stopping at the first failing test{}\n",
             spec->id, options.shell ? ", then a shell (leave with poweroff, exit or Ctrl-A x)" : "");
  for (const auto& n : notes) fmt::print("kgrid repro: {}\n", n);
  fmt::print("kgrid repro: {}\n", shell_quote(*argv));
  fs::path log = options.kernel_dir / "repro-console.log";
  fmt::print("kgrid repro: the console is also written to {}\n", log.string());
  std::fflush(stdout);
  if (options.shell) return run_with_shell(options, *spec, *argv, log);

  VmJob job;
  job.id = spec->id;
  job.argv = *argv;
  job.nonce = spec->nonce;
  job.planned_tests = spec->planned_tests;
  job.console_log = log;
  job.deadlines = spec->deadlines;
  fs::remove(log, ec);
  // The follower thread must not take the signals run_pool waits for.
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, sig);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  OneVm observer;
  PoolResult pool;
  {
    Follower follow(log, STDOUT_FILENO);
    pool = run_pool({job}, 1, observer);
  }
  std::fputs("\n", stdout);
  print_judgement(spec->id, observer.outcome);
  if (pool.interrupted) {
    std::fprintf(stderr, "kgrid repro: interrupted by %s\n", pool.signal_name.c_str());
    return 130;
  }
  return exit_code(observer.outcome.judgement.verdict);
}

}  // namespace kgrid::host
