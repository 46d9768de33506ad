// `kgrid run`: resolve kernels, load the tests, choose boot images and the
// accelerator, pack, boot them all, report: named passes, each timed
// (results.json "timings", --timings).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cli/run_drivers.h"
#include "sweep/plan_builder.h"
#include "vm/scheduler.h"

namespace kgrid::host {

struct RunOptions {
  std::vector<std::string> kernels;  // image files, directories or debian:<suite>/<package>
  std::string grid;                  // a grid TOML file
  std::filesystem::path out = "kgrid-results";
  size_t jobs = 0;                   // 0: the number of cores
  std::string append;                // extra kernel command line
  int memory_mb = 512;
  std::string cpu;  // QEMU -cpu; empty: kgrid's default (vm/qemu.cc)
  std::string accel;  // --accel auto|kvm|tcg; empty: KGRID_ACCEL, KGRID_NO_KVM, else auto (vm/accel.h)
  bool no_kvm = false;  // --no-kvm: the same as --accel tcg
  bool quiet_kernel = false;
  std::string boot = "auto";        // auto, pvh or bzimage (kernels/image/vmlinux.h)
  std::string mirror;                // Debian mirror override
  std::filesystem::path guest_dir;   // where kgrid-init etc. live; default: next to kgrid
  PlanOptions plan;
  Deadlines deadlines;
  DriverRunOptions drivers;          // --build, --artifacts: per-kernel drivers
  bool timings = false;              // --timings: print how long each pass took
};

// Returns the process exit code: 0 if every kernel passed, 1 if any did not,
// 2 for a usage or set-up error before anything booted, 130 if interrupted.
int run_command(const RunOptions& options);

}  // namespace kgrid::host
