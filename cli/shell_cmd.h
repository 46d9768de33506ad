// `kgrid shell KERNEL`: boots one kernel with kgrid's initramfs plus a static
// busybox, and hands the serial console to the user's terminal. With --gdb,
// QEMU's gdb stub waits for a debugger before the first instruction.
#pragma once

#include <filesystem>
#include <string>

#include "sweep/plan_builder.h"

namespace kgrid::host {

struct ShellOptions {
  std::string kernel;                // a kernel image file or debian:<suite>/<package>
  std::string driver;                // keep only this driver's tests in /kgrid/plan; "" for all
  bool gdb = false;
  int gdb_port = 0;                  // 0: pick a free port
  std::string vmlinux;               // an ELF vmlinux with symbols, for the printed gdb command
  std::string busybox;               // a static busybox; "" to use Debian's busybox-static
  std::string append;                // extra kernel command line
  int memory_mb = 512;
  std::string cpu;  // QEMU -cpu; empty: kgrid's default
  std::string accel;  // --accel auto|kvm|tcg (vm/accel.h)
  bool no_kvm = false;
  std::string mirror;
  std::filesystem::path guest_dir;   // default: next to the kgrid executable
  PlanOptions plan;
};

// The process exit code: 0 when QEMU ended normally (poweroff, exit, Ctrl-A x),
// 1 if the kernel crashed or QEMU failed, 2 for a set-up error before booting
// (a missing tool, kernel or guest binary), 130 if kgrid was signalled.
int shell_command(const ShellOptions& options);

// "gdb -q -ex 'target remote 127.0.0.1:PORT' [VMLINUX]": what the user runs to attach.
std::string gdb_attach_command(int port, const std::string& vmlinux);

// The directory of the running kgrid executable (where the guest binaries are).
std::filesystem::path kgrid_exe_dir();

}  // namespace kgrid::host
