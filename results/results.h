// The results of a sweep: what each kernel and each test came to, and the
// files kgrid writes for people and machines (results.json, summary.txt).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "util/files.h"

namespace kgrid::results {

// results.json schema (docs/results-schema.md). 2 added distro/series/flavor,
// tests[].compiler and kernels[].builds; schema 1 files are still read.
inline constexpr int kSchemaVersion = 2;
inline constexpr int kOldestSchemaVersion = 1;

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
  std::string compiler;  // schema 2: the toolchain that built the driver; empty: not recorded
};

// Building a driver for a kernel (compile, CO-RE relocation, module build),
// before anything boots (kgrid build, kgrid run --build: host/build_*.h).
struct BuildResult {
  std::string driver;
  std::string compiler;
  Verdict verdict = Verdict::Fail;
  std::string reason;
  std::map<std::string, double> metrics;
  std::string artifact;  // the built file (.ko, .o), when it built; empty otherwise
  std::string log;       // the build's full log
};

struct KernelResult {
  std::string id;        // stable and readable, e.g. debian-bookworm-6.1.0-50-amd64
  std::string version;   // the kernel release, e.g. 6.1.0-50-amd64
  std::string arch;      // x86_64
  std::string image;     // path of the image booted
  std::string source;    // where it came from: a file path or a debian: selector
  std::string boot_mode; // how QEMU booted it: pvh (the host-decompressed vmlinux), bzimage, image
  Verdict verdict = Verdict::InfraError;
  std::string reason;    // empty only for PASS
  double duration_s = 0; // QEMU start to QEMU exit
  double boot_s = 0;     // QEMU start to init's first record (0 if never)
  std::vector<std::string> warnings;
  std::vector<TestResult> tests;
  // Schema 2 (new fields go last, so that positional initialisers stay valid):
  std::string distro;    // debian, local; derived from source/id when empty
  std::string series;    // 6.1; derived from version when empty
  std::string flavor;    // amd64, cloud-amd64, rt-amd64; derived from version when empty
  std::vector<BuildResult> builds;
  // Schema 2, additive:
  double init_s = 0;     // the guest's own clock (CLOCK_BOOTTIME) when init started: kernel boot to init; 0 if not reported
  std::string accel;       // kvm or tcg: what this kernel's verdict was found under; empty: not booted
  std::string accel_note;  // why it differs from the run's choice, e.g. a KVM boot that never reached init
};

struct RunResults {
  std::string kgrid_version;
  std::string started_at;  // ISO 8601, UTC
  double wall_s = 0;
  bool interrupted = false;
  std::string accel;  // kvm or tcg
  std::string accel_reason;  // why: "KVM unusable: ...; using TCG", "asked for with --accel tcg", how KVM proved itself
  std::vector<KernelResult> kernels;
  // kgrid's own passes ("resolve kernels", "boot"...) and their seconds, in order.
  std::vector<std::pair<std::string, double>> timings;
};

std::string to_json(const RunResults& run);
Result<RunResults> from_json(std::string_view text);

// Reads OUT/results.json (given OUT or the file itself); errors name the file
// and the field.
Result<RunResults> read_results_file(const std::filesystem::path& path);

// Writes OUT/results.json atomically (temp file + rename).
Status write_results_json(const std::filesystem::path& out_dir, const RunResults& run);

// The plain summary, grouped by distro and series: one line per kernel and
// test, every failure ending with the `kgrid repro OUT/kernels/<id>` command
// (`out_dir` as the user wrote it; "OUT" when empty), and a totals line.
std::string format_summary(const RunResults& run, const std::string& out_dir = "");
Status write_summary(const std::filesystem::path& out_dir, const RunResults& run);

// Regenerates every report in OUT from OUT/results.json (summary.txt,
// summary.md, junit.xml, matrix.html, matrix.svg; see reports.h), with trends
// from the user's history database when there is one. `kgrid run` calls it
// at its end.
Status regenerate_reports(const std::filesystem::path& out);

// Now, as RunResults::started_at wants it: "2026-11-23T21:43:11Z".
std::string utc_now_iso8601();

}  // namespace kgrid::results
