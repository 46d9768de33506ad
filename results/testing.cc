#include "results/testing.h"
#include "common/version.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

namespace kgrid::results::testing {
namespace {

TestResult test(const std::string& name, const std::string& driver, Verdict v, const std::string& reason,
                double events_per_s, double drops, double overhead_pct = 0) {
  TestResult t;
  t.name = name;
  t.driver = driver;
  t.verdict = v;
  t.reason = reason;
  t.metrics = {{"duration_ms", 1200}, {"load_ms", 300}};
  if (v == Verdict::Pass) {
    t.metrics["events"] = 10074;
    t.metrics["events_per_s"] = events_per_s;
    t.metrics["drops"] = drops;
    t.metrics["lost"] = 0;
    t.metrics["cost.base_ns_per_op"] = 1000;
    t.metrics["cost.probe_ns_per_op"] = 1000 + overhead_pct * 10;
    t.metrics["cost.overhead_pct"] = overhead_pct;
    if (name == "legacy_bpf") t.metrics["cost.wall_overhead_pct"] = overhead_pct * 4;
  }
  return t;
}

KernelResult kernel(const std::string& suite, const std::string& release, const std::string& arch, Verdict v,
                    const std::string& reason, double boot_s) {
  KernelResult k;
  k.id = (suite.empty() ? "local-" : "debian-" + suite + "-") + release;
  k.version = release;
  k.arch = arch;
  k.source = suite.empty() ? "/images/vmlinuz-" + release : "debian:" + suite + "/linux-image-" + arch;
  k.image = "/cache/" + k.id + "/vmlinuz";
  k.verdict = v;
  k.reason = reason;
  k.boot_s = boot_s;
  k.init_s = boot_s > 0 ? boot_s / 2 : 0;
  k.duration_s = boot_s + 1.5;
  return k;
}

}  // namespace

RunResults sample_grid() {
  RunResults run;
  run.kgrid_version = kgrid::kVersion;
  run.started_at = "2026-11-20T10:00:00Z";
  run.wall_s = 61.5;
  run.accel = "kvm";

  auto k510 = kernel("bullseye", "5.10.0-32-amd64", "x86_64", Verdict::Pass, "", 2.1);
  k510.tests = {test("modern_bpf", "modern_bpf", Verdict::Skip, "needs BTF (CONFIG_DEBUG_INFO_BTF)", 0, 0),
                test("legacy_bpf", "legacy_bpf", Verdict::Pass, "", 41000, 0, 18)};
  k510.tests[1].compiler = "clang-16";

  auto k61 = kernel("bookworm", "6.1.0-50-amd64", "x86_64", Verdict::Pass, "", 2.4);
  k61.tests = {test("modern_bpf", "modern_bpf", Verdict::Pass, "", 38746, 0, 12),
               test("legacy_bpf", "legacy_bpf", Verdict::Pass, "", 40100, 0, 20.5)};
  k61.tests[1].compiler = "clang-16";

  auto k61c = kernel("bookworm", "6.1.0-50-cloud-amd64", "x86_64", Verdict::Fail,
                     std::string("modern_bpf: ") + kVerifierReason, 2.2);
  k61c.tests = {test("modern_bpf", "modern_bpf", Verdict::Fail, kVerifierReason, 0, 0),
                test("legacy_bpf", "legacy_bpf", Verdict::Pass, "", 39000, 0, 22)};
  k61c.tests[1].compiler = "clang-16";

  auto k612 = kernel("trixie", "6.12.117+deb13-amd64", "x86_64", Verdict::Fail,
                     std::string("legacy_bpf: ") + kMissingReason, 2.0);
  k612.tests = {test("modern_bpf", "modern_bpf", Verdict::Pass, "", 46500, 0, 9.5),
                test("legacy_bpf", "legacy_bpf", Verdict::Fail, kMissingReason, 0, 0)};
  k612.tests[1].compiler = "clang-16";

  auto k72 = kernel("sid", "7.2.13+deb14-amd64", "x86_64", Verdict::Panic, kPanicReason, 0);

  auto k72t = kernel("sid", "7.2.13+deb14-rt-amd64", "x86_64", Verdict::Timeout,
                     "modern_bpf: test timed out after 60s (probe never printed 'kgrid-probe: ready')", 3.0);
  k72t.tests = {test("modern_bpf", "modern_bpf", Verdict::Timeout,
                     "test timed out after 60s (probe never printed 'kgrid-probe: ready')", 0, 0)};

  auto arm = kernel("", "6.6.0", "aarch64", Verdict::Pass, "", 5.5);
  arm.tests = {test("modern_bpf", "modern_bpf", Verdict::Pass, "", 12000, 0, 30)};

  run.kernels = {k612, k61, k510, k72, k61c, arm, k72t};  // not in display order on purpose
  return run;
}

TempDir::TempDir(const std::string& name) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("kgrid-" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_out_dir(const std::filesystem::path& out, const RunResults& run) {
  std::filesystem::create_directories(out / "kernels");
  std::ofstream(out / "results.json") << to_json(run);
  for (const auto& k : run.kernels) {
    auto dir = out / "kernels" / k.id;
    std::filesystem::create_directories(dir);
    std::ofstream console(dir / "console.log", std::ios::binary);
    for (int i = 0; i < 200; ++i) console << "[    " << i << ".000000] boot line " << i << "\r\n";
    console << "tty noise: \x1b[0m bell \x07 bad byte \xff <tag> & done\n";
    console << "last line of " << k.id << "\n";
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace kgrid::results::testing
