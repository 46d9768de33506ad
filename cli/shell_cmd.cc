#include "cli/shell_cmd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <system_error>

#include "vm/accel_probe.h"
#include "sweep/initramfs_build.h"
#include "sweep/kernel_set.h"
#include "vm/qemu.h"
#include "sweep/shell_files.h"
#include "vm/session.h"
#include "vm/terminal.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

int fail(const std::string& message) {
  std::fprintf(stderr, "kgrid: error: %s\n", message.c_str());
  return 2;
}

// A TCP port on 127.0.0.1 that nobody listens on right now.
Result<int> free_local_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return make_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return make_error(std::string("cannot find a free TCP port: ") + std::strerror(errno));
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<plan::Plan> shell_plan(const ShellOptions& o) {
  plan::Plan plan = default_plan(o.plan);
  if (o.driver.empty()) return plan;
  std::string known;
  plan::Plan kept;
  for (const auto& t : plan.tests) {
    if (t.driver == o.driver) kept.tests.push_back(t);
    if (known.find(t.driver) == std::string::npos) known += (known.empty() ? "" : ", ") + t.driver;
  }
  if (kept.tests.empty()) return make_error("no test uses driver '" + o.driver + "' (the plan's drivers: " + known + ")");
  return kept;
}

void print_gdb_help(int port, const std::string& vmlinux) {
  fmt::print("kgrid shell: QEMU's gdb stub waits on 127.0.0.1:{}; the CPU is halted until the debugger continues.\n"
             "The kernel boots with nokaslr. Attach from another terminal with:\n\n    {}\n\n",
             port, gdb_attach_command(port, vmlinux));
  if (vmlinux.empty())
    fmt::print("No symbols: pass --vmlinux FILE (an uncompressed vmlinux with debug info, e.g. from the\n"
               "kernel's -dbg package) to have gdb load them. Then: 'continue' to boot.\n\n");
  else
    fmt::print("Then e.g. 'hbreak start_kernel' and 'continue'.\n\n");
}

// What happened, on a fresh line after the session; the exit code.
int report_end(const SessionEnd& end, const ConsoleMonitor& console) {
  if (!end.signal_name.empty()) {
    fmt::print(stderr, "kgrid shell: stopped by {}; QEMU killed\n", end.signal_name);
    return 130;
  }
  if (console.crash()) {
    fmt::print("kgrid shell: the kernel crashed ({}): {}; QEMU ended\n", console.crash()->kind,
               console.crash()->message);
    return 1;
  }
  if (end.qemu.signal != 0 || end.qemu.code != 0) {
    std::string err = end.qemu_stderr;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    if (auto nl = err.rfind('\n'); nl != std::string::npos) err = err.substr(nl + 1);
    fmt::print(stderr, "kgrid shell: QEMU failed ({} {}){}\n", end.qemu.signal ? "signal" : "exit status",
               end.qemu.signal ? end.qemu.signal : end.qemu.code, err.empty() ? "" : ": " + err);
    return 1;
  }
  fmt::print("kgrid shell: QEMU ended after {:.1f}s\n", end.duration_s);
  return 0;
}

}  // namespace

fs::path kgrid_exe_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

std::string gdb_attach_command(int port, const std::string& vmlinux) {
  std::vector<std::string> argv = {"gdb", "-q", "-ex", fmt::format("target remote 127.0.0.1:{}", port)};
  if (!vmlinux.empty()) argv.push_back(fs::absolute(vmlinux).string());
  return shell_quote(argv);
}

int shell_command(const ShellOptions& o) {
  // 1. The host tools, before anything slow.
  std::error_code ec;
  if (o.gdb && find_in_path("gdb").empty())
    return fail("gdb is not installed (kgrid shell --gdb prints a gdb command to attach); install it with: "
                "sudo apt-get install gdb");
  if (!o.vmlinux.empty() && !fs::is_regular_file(o.vmlinux, ec)) return fail(o.vmlinux + ": no such file (--vmlinux)");
  if (auto any = find_busybox("", BusyboxSearch{o.busybox}); !any) return fail(any.error().message);

  // 2. The kernel: exactly one.
  auto kernels = resolve_kernels({o.kernel}, ResolveOptions{o.mirror});
  if (!kernels) return fail(kernels.error().message);
  if (kernels->size() != 1)
    return fail(fmt::format("kgrid shell boots one kernel; {} names {}", o.kernel, kernels->size()));
  const ResolvedKernel& k = kernels->front();
  const ArchSpec* spec = find_arch(k.arch);
  if (!spec) return fail(k.id + ": no QEMU support for architecture " + k.arch);
  auto busybox = find_busybox(k.arch, BusyboxSearch{o.busybox});
  if (!busybox) return fail(busybox.error().message);

  // 3. The initramfs: kgrid's own for this kernel, then the shell on top.
  InitramfsBuilder builder(o.guest_dir.empty() ? kgrid_exe_dir() : o.guest_dir);
  if (auto st = builder.check(); !st) return fail(st.error().message);
  auto plan = shell_plan(o);
  if (!plan) return fail(plan.error().message);
  auto tmp = TempDir::create("kgrid-shell-");
  if (!tmp) return fail(tmp.error().message);
  fs::path kgrid_initrd = tmp->path() / "kgrid-initrd.img", initrd = tmp->path() / "initrd.img";
  if (auto c = builder.build_for(k, *plan, kgrid_initrd); !c) return fail(k.id + ": " + c.error().message);
  ShellFilesOptions files;
  files.busybox = *busybox;
  files.banner = "kgrid shell: kernel " + k.id + " (" + k.image.string() + ")";
  if (auto ws = window_size(STDIN_FILENO)) files.rows = ws->rows, files.cols = ws->cols;
  if (auto st = add_shell_overlay(kgrid_initrd, files, initrd); !st) return fail(st.error().message);

  // 4. QEMU.
  QemuOptions q;
  q.arch = k.arch;
  q.kernel = fs::absolute(k.image).string();
  q.initrd = initrd.string();
  q.append = "kgrid.shell=1" + (o.append.empty() ? "" : " " + o.append);
  q.nonce = make_nonce();
  q.memory_mb = o.memory_mb;
  q.cpu = o.cpu;
  auto request = accel_request(o.accel, o.no_kvm, std::getenv);
  if (!request) return fail(request.error().message);
  AccelSetup setup;
  setup.request = *request;
  setup.guest_arch = k.arch;
  setup.probe_kernel = [&]() { return probe_kernel_for(builder, k, k.image, tmp->path()); };
  auto accel = choose_accel(setup);
  if (!accel) return fail(accel.error().message);
  if (accel->interrupted) return 130;
  if (accel->fell_back) fmt::print("kgrid shell: {}\n", accel->reason);
  q.kvm = accel->kvm;
  if (o.gdb) {
    auto port = o.gdb_port > 0 ? Result<int>(o.gdb_port) : free_local_port();
    if (!port) return fail(port.error().message);
    q.gdb_port = *port;
  }
  if (find_in_path(spec->qemu_binary).empty())
    return fail(spec->qemu_binary + " is not installed; install it with: sudo apt-get install " +
                (k.arch == "x86_64" ? "qemu-system-x86" : "qemu-system-arm"));

  fmt::print("kgrid shell: booting {} ({}, {}). Leave with poweroff, exit or Ctrl-D in the guest, or Ctrl-A x.\n",
             k.id, k.release, accel_label(*accel));
  if (o.gdb) print_gdb_help(q.gdb_port, o.vmlinux);
  std::fflush(stdout);

  SessionOptions session;
  session.argv = qemu_argv(q, *spec);
  session.work_dir = tmp->path();
  ConsoleMonitor console(q.nonce);
  auto end = run_session(session, &console);
  if (!end) return fail("cannot start QEMU: " + end.error().message);
  return report_end(*end, console);
}

}  // namespace kgrid::host
