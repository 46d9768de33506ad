// Fixtures for the results tests: a small but varied grid built in code, and
// an OUT directory written from it (results.json and console logs).
#pragma once

#include <filesystem>
#include <string>

#include "results/results.h"

namespace kgrid::results::testing {

// Seven kernels in five series (debian 5.10, 6.1 in two flavors, 6.12, 7.2,
// and an arm64 local 6.6), two drivers, one with a compiler. Verdicts: PASS,
// FAIL (verifier), FAIL (missing events), SKIP, PANIC (no tests), TIMEOUT.
RunResults sample_grid();

// The failing reasons sample_grid() uses, for assertions.
inline constexpr const char* kVerifierReason =
    "probe exited with exit status 1 before 'kgrid-probe: ready': libbpf: prog 'kgrid_sys_enter': "
    "BPF program load failed: Permission denied; verifier log ends: invalid access to map value";
inline constexpr const char* kMissingReason = "expected 5000 getppid (nr 110) events from pid 81, probe saw 0";
inline constexpr const char* kPanicReason = "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)";

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes OUT/results.json and OUT/kernels/<id>/console.log for each kernel
// (a few lines, with a control character and an invalid UTF-8 byte, as real
// consoles have).
void write_out_dir(const std::filesystem::path& out, const RunResults& run);

std::string read_file(const std::filesystem::path& path);

}  // namespace kgrid::results::testing
