// What `kgrid repro OUT/kernels/<id>` needs to re-run one kernel of a sweep
// exactly: the QEMU argv, the nonce, how many tests the plan has and the
// deadlines. `kgrid run` writes it as qemu.json beside qemu.cmd:
//
//   {"schema": 1, "id": "...", "argv": ["qemu-system-x86_64", ...],
//    "nonce": "0123456789abcdef", "planned_tests": 1,
//    "deadlines": {"boot_s": 90, "inactivity_s": 90, "test_grace_s": 20,
//                  "run_s": 900, "shutdown_s": 15, "crash_linger_s": 3}}
//
// Without qemu.json, qemu.cmd (shell-quoted argv) and the sweep's
// results.json are used.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "vm/scheduler.h"

namespace kgrid::host {

struct ReproSpec {
  std::string id;
  std::vector<std::string> argv;
  std::string nonce;
  size_t planned_tests = 0;
  Deadlines deadlines;
};

std::string format_qemu_json(const ReproSpec& spec);
Result<ReproSpec> parse_qemu_json(std::string_view text);

// Splits a command line written by shell_quote() (plain words, '...' and \x).
Result<std::vector<std::string>> shell_split(std::string_view line);

// Reads OUT/kernels/<id>/qemu.json, or qemu.cmd and OUT/results.json.
Result<ReproSpec> load_repro_spec(const std::filesystem::path& kernel_dir);

struct ReproChanges {
  bool shell = false;      // kgrid.shell=after: a shell once the tests are done
  bool kvm_usable = true;  // if not, a recorded "-accel kvm" becomes TCG
  std::string why_not_kvm; // for that note: the accelerator decision's reason
  bool to_kvm = false;     // --accel kvm: a recorded "-accel tcg" becomes KVM
};

// The recorded argv with the repro changes: verbose console ('quiet' removed),
// kgrid.stop_on_fail=1, and the shell if asked. Everything else stays as it
// was. `notes` gets a line per change worth telling the user.
Result<std::vector<std::string>> repro_argv(const std::vector<std::string>& argv, const ReproChanges& changes,
                                            std::vector<std::string>& notes);

// The value after `option` in argv ("-kernel" -> the image path), or "".
std::string argv_value(const std::vector<std::string>& argv, std::string_view option);

}  // namespace kgrid::host
