// kgrid: boots many kernels with a small initramfs and tells, truthfully,
// whether a driver loads and sees the right events on each.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "cli/build_cmd.h"
#include "cli/doctor_cmd.h"
#include "cli/kernels_cmd.h"
#include "vm/qemu.h"
#include "cli/repro_cmd.h"
#include "cli/report_cmd.h"
#include "cli/run_cmd.h"
#include "cli/shell_cmd.h"
#include "common/version.h"

namespace {

// --driver-src DIR --build-cmd CMD ...: the user's own driver, for kgrid build and kgrid run.
void add_external_driver_options(CLI::App* cmd, kgrid::host::ExternalDriverOptions& o) {
  cmd->add_option("--driver-src", o.src,
                  "Your driver's source tree: each kernel x compiler builds it in its own copy ($SRC); DIR is not written");
  cmd->add_option("--build-cmd", o.cmd,
                  "With --driver-src: the build command, run by /bin/sh in $SRC with KERNEL_DIR, KERNEL_RELEASE, ARCH, "
                  "CC, CLANG, OUT, SRC, KGRID_MAKE_ARGS... set, e.g. 'make -C \"$KERNEL_DIR\" M=\"$SRC\" CC=\"$CC\" modules'");
  cmd->add_option("--driver-name", o.name, "With --driver-src: the driver's name in results (default: DIR's name)");
  cmd->add_option("--driver-kind", o.kind, "With --driver-src: kmod (built with gcc-N; default) or bpf (clang-N)")
      ->check(CLI::IsMember({"kmod", "bpf"}));
  cmd->add_option("--artifact", o.artifact,
                  "With --driver-src: the built file, a glob relative to $OUT (else a new file in $SRC); "
                  "default *.ko (kmod), *.o (bpf)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kgrid: a fast, truthful kernel test grid for eBPF probes and kernel modules"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kgrid::kVersion);

  // kgrid run
  kgrid::host::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Boot every kernel with kgrid's initramfs, run the tests, write results");
  run_cmd->add_option("--kernel,-k", run.kernels, "A kernel image (bzImage), a directory of images, or debian:<suite>/<package>; repeatable");
  run_cmd->add_option("kernels", run.kernels, "More kernels, as for --kernel");
  run_cmd->add_option("--kernels", run.kernels, "A directory of kernel images (same as --kernel DIR)");
  run_cmd->add_option("--grid,-g", run.grid, "A grid file (TOML) listing kernels, e.g. kernels/default.toml");
  run_cmd->add_option("--out,-o", run.out, "Output directory")->capture_default_str();
  run_cmd->add_option("-j,--jobs", run.jobs, "Parallel VMs (default: number of cores)");
  run_cmd->add_option("--append", run.append, "Extra kernel command line");
  run_cmd->add_option("--memory", run.memory_mb, "Guest memory in MiB")->capture_default_str();
  run_cmd->add_option("--cpu", run.cpu, "QEMU CPU model (default: max,cx16=off under TCG on x86, max on arm64, host under KVM)");
  run_cmd->add_option("--accel", run.accel,
                      "auto (default: KVM only once a probe boot proved it on this host, else TCG), kvm (an error if it "
                      "cannot work here) or tcg; also $KGRID_ACCEL")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  run_cmd->add_flag("--no-kvm", run.no_kvm, "The same as --accel tcg (also $KGRID_NO_KVM=1)");
  run_cmd->add_flag("--timings", run.timings, "Print how long each of kgrid's passes took (also in results.json \"timings\")");
  run_cmd->add_flag("--quiet-kernel", run.quiet_kernel, "Boot with 'quiet' (less console output)");
  run_cmd->add_option("--boot", run.boot,
                      "auto: boot x86 kernels through PVH from their vmlinux, decompressed once on the host "
                      "(faster), when they support it; pvh: always (an error if not); bzimage: the image as given")
      ->check(CLI::IsMember({"auto", "pvh", "bzimage"}))
      ->capture_default_str();
  run_cmd->add_option("--mirror", run.mirror, "Debian mirror URL (default: from apt sources, or $KGRID_MIRROR)");
  run_cmd->add_option("--guest-dir", run.guest_dir, "Directory with kgrid-init, kgrid-testrunner, kgrid-probe, kgrid-gen");
  run_cmd->add_option("--test-timeout", run.plan.test_timeout_s, "Per-test timeout in seconds (for specs without their own)")->capture_default_str();
  run_cmd->add_option("--spec", run.plan.specs,
                      "A test spec (TOML, see docs/test-specs.md) to run instead of the built-in test; repeatable");
  run_cmd->add_option("--boot-timeout", run.deadlines.boot_s, "Seconds until init must speak")->capture_default_str();
  run_cmd->add_option("--probe-fault", run.plan.probe_fault,
                      "Run a deliberately broken reference probe, to check the harness: nocapture or verifier")
      ->check(CLI::IsMember({"nocapture", "verifier"}));

  run_cmd->add_option("--build", run.drivers.build,
                      "Build these drivers for every kernel first (kmod, bpf; comma-separated) and test each artifact")
      ->delimiter(',')
      ->check(CLI::IsMember({"kmod", "bpf"}));
  run_cmd->add_option("--compiler", run.drivers.build_options.compilers,
                      "Compilers for --build (gcc-N for kmod, clang-N for bpf; default: every one installed)")
      ->delimiter(',');
  run_cmd->add_option("--headers", run.drivers.build_options.headers_dir,
                      "For --build: DIR/<release> is each kernel's prepared build dir");
  run_cmd->add_option("--sources", run.drivers.build_options.sources_dir,
                      "For --build: build DIR/kmod/ and DIR/bpf/ instead of the built-in sources");
  run_cmd->add_flag("--no-build-cache", run.drivers.build_options.no_cache, "For --build: rebuild even what is cached");
  run_cmd->add_option("--artifacts", run.drivers.artifacts,
                      "Test ready drivers: DIR/<release or kernel id>/*.ko (kmod) and *.o (bpf), e.g. OUT/build of kgrid build");
  add_external_driver_options(run_cmd, run.drivers.build_options.external);
  run_cmd->add_option("--build-timeout", run.drivers.build_options.timeout_s,
                      "For --build and --driver-src: seconds per build (then TIMEOUT)")
      ->capture_default_str();
  run_cmd->add_option("--driver-fault", run.drivers.fault,
                      "Break the per-kernel drivers on purpose, to check the harness: nocapture, verifier (bpf), oops (kmod)")
      ->check(CLI::IsMember({"nocapture", "verifier", "oops"}));

  // kgrid build
  kgrid::host::BuildCommandOptions bopts;
  CLI::App* build_cmd = app.add_subcommand(
      "build", "Build the per-kernel drivers (kmod with gcc-N, bpf with clang-N, or yours with --driver-src) for every kernel, in parallel");
  build_cmd->add_option("--kernel,-k", bopts.kernels, "A kernel image, a directory of images, or debian:<suite>/<package>; repeatable");
  build_cmd->add_option("kernels", bopts.kernels, "More kernels, as for --kernel");
  build_cmd->add_option("--grid,-g", bopts.grid, "A grid file (TOML) listing kernels");
  build_cmd->add_option("--driver", bopts.build.drivers,
                        "Reference drivers to build: kmod, bpf (default: both, or none with --driver-src)")
      ->delimiter(',')
      ->check(CLI::IsMember({"kmod", "bpf"}));
  build_cmd->add_option("--compiler", bopts.build.compilers,
                        "gcc-N (kmod) and clang-N (bpf), comma-separated (default: every one installed)")
      ->delimiter(',');
  build_cmd->add_option("--headers", bopts.build.headers_dir, "DIR/<release> is each kernel's prepared build dir");
  build_cmd->add_option("--sources", bopts.build.sources_dir,
                        "Build DIR/kmod/ and DIR/bpf/ (e.g. a modified copy of probes/kmod) instead of the built-in sources");
  add_external_driver_options(build_cmd, bopts.build.external);
  build_cmd->add_option("--out,-o", bopts.out, "Output directory: OUT/build/<kernel-id>/, OUT/results.json")->capture_default_str();
  build_cmd->add_option("-j,--jobs", bopts.build.jobs, "Parallel builds (default: number of cores)");
  build_cmd->add_option("--timeout", bopts.build.timeout_s, "Seconds per build")->capture_default_str();
  build_cmd->add_flag("--no-cache", bopts.build.no_cache, "Rebuild even what is in the build cache");
  build_cmd->add_option("--mirror", bopts.build.mirror, "Debian mirror URL (default: from apt sources, or $KGRID_MIRROR)");

  // kgrid kernels list|fetch|inspect|headers|gc
  kgrid::host::KernelsCommands kernels_cmds;
  kernels_cmds.add_to(app);

  // kgrid shell KERNEL
  kgrid::host::ShellOptions shell;
  CLI::App* shell_cmd = app.add_subcommand(
      "shell", "Boot one kernel with kgrid's initramfs and a busybox shell on this terminal (leave: poweroff, exit, Ctrl-A x)");
  shell_cmd->add_option("kernel", shell.kernel, "A kernel image or debian:<suite>/<package>")->required();
  shell_cmd->add_option("--driver", shell.driver, "Keep only this driver's tests in the guest's plan (kgrid-test)");
  shell_cmd->add_flag("--gdb", shell.gdb, "Start QEMU's gdb stub, halted, with nokaslr, and print the gdb command to attach");
  shell_cmd->add_option("--gdb-port", shell.gdb_port, "TCP port on 127.0.0.1 for --gdb (default: a free one)");
  shell_cmd->add_option("--vmlinux", shell.vmlinux, "A vmlinux with debug symbols, for the printed gdb command");
  shell_cmd->add_option("--busybox", shell.busybox, "A static busybox (default: from Debian's busybox-static)");
  shell_cmd->add_option("--append", shell.append, "Extra kernel command line");
  shell_cmd->add_option("--memory", shell.memory_mb, "Guest memory in MiB")->capture_default_str();
  shell_cmd->add_option("--cpu", shell.cpu, "QEMU CPU model (default: max,cx16=off under TCG on x86, max on arm64, host under KVM)");
  shell_cmd->add_option("--accel", shell.accel, "auto (default), kvm or tcg, as for kgrid run")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  shell_cmd->add_flag("--no-kvm", shell.no_kvm, "The same as --accel tcg");
  shell_cmd->add_option("--mirror", shell.mirror, "Debian mirror URL (default: from apt sources, or $KGRID_MIRROR)");
  shell_cmd->add_option("--guest-dir", shell.guest_dir, "Directory with kgrid-init, kgrid-testrunner, kgrid-probe, kgrid-gen");
  shell_cmd->add_option("--test-timeout", shell.plan.test_timeout_s, "Per-test timeout in seconds, for kgrid-test")
      ->capture_default_str();

  // kgrid repro OUT/kernels/<id>
  kgrid::host::ReproOptions repro;
  CLI::App* repro_cmd = app.add_subcommand(
      "repro", "Re-run one kernel of a sweep exactly (same image, initramfs, command line), stopping at the first failure");
  repro_cmd->add_option("kernel_dir", repro.kernel_dir, "OUT/kernels/<id>, written by kgrid run")->required();
  repro_cmd->add_flag("--shell", repro.shell, "After the tests, a shell on this terminal instead of powering off");
  repro_cmd->add_option("--accel", repro.accel,
                        "auto (default: what the sweep used, TCG if KVM does not work here), kvm or tcg")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  repro_cmd->add_flag("--no-kvm", repro.no_kvm, "The same as --accel tcg");
  repro_cmd->add_option("--busybox", repro.busybox, "A static busybox for --shell (default: from Debian's busybox-static)");

  // kgrid doctor
  kgrid::host::DoctorOptions doctor;
  CLI::App* doctor_cmd = app.add_subcommand(
      "doctor", "What this host offers kgrid: QEMU, the accelerator and why, cores and -j, cache, mirror, compilers, tools");
  doctor_cmd->add_flag("--json", doctor.json, "Machine-readable output");
  doctor_cmd->add_flag("--which-accel", doctor.which_accel,
                       "Print only the accelerator kgrid run would use (kvm or tcg), its reason on stderr");
  doctor_cmd->add_option("--accel", doctor.accel, "auto (default), kvm or tcg, as for kgrid run")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  doctor_cmd->add_option("--mirror", doctor.mirror, "Debian mirror URL (default: from apt sources, or $KGRID_MIRROR)");

  // kgrid report OUT, kgrid compare BASE NEW, kgrid history add|show
  kgrid::host::ReportCommands reports;
  reports.add_to(app);

  CLI11_PARSE(app, argc, argv);

  if (auto code = reports.dispatch()) return *code;

  if (shell_cmd->parsed()) return kgrid::host::shell_command(shell);
  if (repro_cmd->parsed()) return kgrid::host::repro_command(repro);
  if (doctor_cmd->parsed()) return kgrid::host::doctor_command(doctor);

  if (run_cmd->parsed()) {
    std::string note;
    run.jobs = kgrid::host::choose_jobs(run.jobs, std::thread::hardware_concurrency(), run.memory_mb,
                                        kgrid::host::mem_available_kib(), note);
    if (!note.empty()) std::fprintf(stderr, "kgrid: %s\n", note.c_str());
    run.drivers.build_options.mirror = run.mirror;
    return kgrid::host::run_command(run);
  }
  if (build_cmd->parsed()) return kgrid::host::build_command(bopts);
  if (auto code = kernels_cmds.dispatch()) return *code;
  return 2;
}
