// `kgrid doctor [--json]`: what this host offers kgrid, as one table: QEMU
// per architecture, the accelerator verdict and its reason, cores, memory
// and the default -j, the cache dir and its free space, the Debian mirror
// and keyring, the compilers of the compile grid, busybox and gdb for
// `kgrid shell`. Every line that is a problem says what to install or set.
#pragma once

#include <string>
#include <vector>

namespace kgrid::host {

enum class CheckLevel { Ok, Note, Problem };  // Note: works, with a limit worth knowing

struct DoctorCheck {
  explicit DoctorCheck(std::string n, CheckLevel l = CheckLevel::Ok, std::string v = "", std::string f = "")
      : name(std::move(n)), level(l), value(std::move(v)), fix(std::move(f)) {}
  std::string name;   // "qemu x86_64", "accelerator", ...
  CheckLevel level = CheckLevel::Ok;
  std::string value;  // what was found
  std::string fix;    // for Note/Problem: what to install or set
};

struct DoctorReport {
  std::vector<DoctorCheck> checks;
  std::string accel;  // kvm or tcg: what `kgrid run` would use for x86_64 guests
  std::string accel_reason;
  size_t jobs = 1;
};

std::string format_doctor_table(const DoctorReport& report);
std::string format_doctor_json(const DoctorReport& report);

struct DoctorOptions {
  bool json = false;
  bool which_accel = false;  // print only "kvm" or "tcg" (for scripts: bench/lib.sh)
  std::string accel;         // --accel, as for kgrid run
  std::string mirror;
};

// Exit code: 0 when nothing is a problem, 1 otherwise, 2 for bad options.
int doctor_command(const DoctorOptions& options);

}  // namespace kgrid::host
