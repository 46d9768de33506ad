// `kgrid repro OUT/kernels/<id>`: re-runs one kernel of a sweep exactly (the
// same image, initramfs and QEMU command line), with the console shown live,
// the testrunner stopping at the first failing test, and optionally a shell
// once the tests are done. Judged and reported like `kgrid run`.
#pragma once

#include <filesystem>
#include <string>

namespace kgrid::host {

struct ReproOptions {
  std::filesystem::path kernel_dir;  // OUT/kernels/<id>
  bool shell = false;                // a shell after the tests instead of powering off
  std::string accel;                 // --accel auto|kvm|tcg (vm/accel.h); auto keeps what the sweep used if it works here
  bool no_kvm = false;
  std::string busybox;               // for --shell; "" to use Debian's busybox-static
};

// 0 if the kernel passed, 1 if not, 2 for a set-up error, 130 if interrupted.
int repro_command(const ReproOptions& options);

}  // namespace kgrid::host
