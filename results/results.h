// The results of a sweep: what each kernel and each test came to, and the
// files kgrid writes for people and machines (results.json, summary.txt).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::results {

inline constexpr int kSchemaVersion = 1;

// Verdicts, most severe last so that "worst of" is a max().
enum class Verdict { Pass, Skip, Fail, Timeout, Panic, BootFail, InfraError };

const char* verdict_name(Verdict v);
Result<Verdict> parse_verdict(std::string_view name);

struct TestResult {
  std::string name;
  std::string driver;
  Verdict verdict = Verdict::Fail;
  std::string reason;
  std::map<std::string, double> metrics;
};

struct KernelResult {
  std::string id;        // stable and readable, e.g. debian-bookworm-6.1.0-50-amd64
  std::string version;   // the kernel release, e.g. 6.1.0-50-amd64
  std::string arch;      // x86_64
  std::string image;     // path of the image booted
  std::string source;    // where it came from: a file path or a debian: selector
  Verdict verdict = Verdict::InfraError;
  std::string reason;    // empty only for PASS
  double duration_s = 0; // QEMU start to QEMU exit
  double boot_s = 0;     // QEMU start to init's first record (0 if never)
  std::vector<std::string> warnings;
  std::vector<TestResult> tests;
};

struct RunResults {
  std::string kgrid_version;
  std::string started_at;  // ISO 8601, UTC
  double wall_s = 0;
  bool interrupted = false;
  std::string accel;  // kvm or tcg
  std::vector<KernelResult> kernels;
};

std::string to_json(const RunResults& run);
Result<RunResults> from_json(std::string_view text);

// Writes OUT/results.json atomically (temp file + rename).
Status write_results_json(const std::filesystem::path& out_dir, const RunResults& run);

// The plain summary: one line per kernel with verdict and reason, and totals.
std::string format_summary(const RunResults& run);
Status write_summary(const std::filesystem::path& out_dir, const RunResults& run);

// Writes `data` to `path` through a temp file in the same directory and rename().
Status write_file_atomic(const std::filesystem::path& path, std::string_view data);

}  // namespace kgrid::results
