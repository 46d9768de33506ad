// End-to-end: the per-kernel drivers. kgrid builds the reference kernel
// module (kmod, gcc-N, Kbuild) and the legacy eBPF object (bpf, clang-N,
// -emit-llvm | llc) against each kernel's own headers, boots each kernel with
// its artifacts, and the guest checks every captured event against the
// generator's ground truth. Also: a broken source is BUILD_FAIL with the
// compiler's words and the sweep goes on; a module that oopses is PANIC; an
// object built for another kernel FAILs; a kernel without an artifact SKIPs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e_support.h"

using namespace kgrid::e2e;
using kgrid::results::KernelResult;
using kgrid::results::TestResult;
using kgrid::results::Verdict;

namespace fs = std::filesystem;

namespace {

const std::string kBookworm = "debian:bookworm/linux-image-amd64";

void replace_once(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = slurp(file);
  size_t pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("the default grid: kmod and bpf build per kernel and PASS against the ground truth") {
  OutDir out("drivers-grid");
  // The baseline compilers (scripts/install-deps); the whole matrix is the next test.
  Command c = run_kgrid({"run", "--grid", std::string(KGRID_SOURCE_DIR) + "/kernels/default.toml", "--build",
                         "kmod,bpf", "--compiler", "gcc-12,clang-14", "--out", out.str()});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 4);
  for (const auto& k : run.kernels) {
    INFO(k.id << ": " << k.reason);
    CHECK(k.verdict == Verdict::Pass);
    bool is_bookworm = k.id.rfind("debian-bookworm-", 0) == 0;
    size_t built = 0;
    for (const auto& b : k.builds) {
      std::string cell = b.driver + "/" + b.compiler;
      INFO(cell << ": " << b.reason);
      // Nothing may fail to build; a SKIP must say why (e.g. kbuild's host tools need a newer glibc).
      CHECK(b.verdict != Verdict::Fail);
      CHECK(fs::exists(b.log));
      const TestResult* t = find_test(k, cell);
      REQUIRE(t != nullptr);
      CHECK(t->compiler == b.compiler);
      if (b.verdict == Verdict::Skip) {
        CHECK(!is_bookworm);  // 6.1's headers build everything here
        CHECK(!b.reason.empty());
        CHECK(t->verdict == Verdict::Skip);
        CHECK(t->reason == b.reason);
        continue;
      }
      ++built;
      CHECK(b.verdict == Verdict::Pass);
      CHECK(fs::exists(b.artifact));
      CHECK(b.artifact == (out.path() / "build" / k.id / (b.driver + "-" + b.compiler + (b.driver == "kmod" ? ".ko" : ".o"))).string());
      INFO(t->reason);
      CHECK(t->verdict == Verdict::Pass);
      CHECK(t->metrics.at("drops") == 0);
      CHECK(t->metrics.at("events") >= 10000);  // the generator alone makes 10000 marker syscalls
    }
    // At least one kmod (gcc-N) and one bpf (clang-N) cell per kernel.
    size_t kmod = 0, bpf = 0;
    for (const auto& b : k.builds) (b.driver == "kmod" ? kmod : bpf) += b.driver == "kmod" || b.driver == "bpf";
    CHECK(kmod >= 1);
    CHECK(bpf >= 1);
    if (is_bookworm) CHECK(built == k.builds.size());
  }
  // The module really was loaded and unloaded in the guest.
  for (const auto& k : run.kernels) {
    if (k.id.rfind("debian-bookworm-", 0) != 0) continue;
    std::string console = slurp(out.path() / "kernels" / k.id / "console.log");
    CHECK(console.find("kgrid_kmod: attached to sys_enter") != std::string::npos);
    CHECK(console.find("kgrid_kmod: unloaded,") != std::string::npos);
  }
  std::string summary = slurp(out.path() / "summary.txt");
  CHECK(summary.find("build PASS") != std::string::npos);

  {
    // An object built for another kernel FAILs; a kernel without an artifact SKIPs.
    // The legacy object reads task_struct.tgid at its kernel's offset, so
    // 6.1's object on 7.x reports wrong pids, and the ground truth says so.
    const KernelResult* k61 = nullptr;
    const KernelResult* k7 = nullptr;
    const KernelResult* k510 = nullptr;
    for (const auto& k : run.kernels) {
      if (k.id.rfind("debian-bookworm-", 0) == 0) k61 = &k;
      if (k.id.rfind("debian-sid-", 0) == 0) k7 = &k;
      if (k.id.rfind("debian-bullseye-", 0) == 0) k510 = &k;
    }
    REQUIRE((k61 && k7 && k510));
    std::string obj61;
    for (const auto& b : k61->builds)
      if (b.driver == "bpf" && b.verdict == Verdict::Pass) obj61 = b.artifact;
    REQUIRE(!obj61.empty());
    OutDir wrong("drivers-wrong-kernel");
    fs::create_directories(wrong.path() / "artifacts" / k7->version);
    fs::copy_file(obj61, wrong.path() / "artifacts" / k7->version / "bpf-from-6.1.o");
    Command w = run_kgrid({"run", "--kernel", k7->source, "--kernel", k510->source, "--artifacts",
                           (wrong.path() / "artifacts").string(), "--out", (wrong.path() / "out").string()});
    INFO(w.output);
    CHECK(w.exit_code == 1);
    auto wr = read_results(wrong.path() / "out");
    REQUIRE(wr.kernels.size() == 2);
    const TestResult* t = find_test(wr.kernels[0], "bpf/from-6.1");
    REQUIRE(t != nullptr);
    INFO(t->reason);
    CHECK(t->verdict == Verdict::Fail);
    CHECK(t->reason.find("getppid") != std::string::npos);
    const TestResult* none = find_test(wr.kernels[1], "artifacts");
    REQUIRE(none != nullptr);
    CHECK(none->verdict == Verdict::Skip);
    CHECK(none->reason == "no artifact for " + k510->version);
    CHECK(wr.kernels[1].verdict == Verdict::Pass);  // its other tests passed; a SKIP does not fail a kernel
  }
}

TEST_CASE("kgrid build: every installed compiler on 6.1; a gcc older than the kernel's fails with its error") {
  OutDir out("drivers-compilers");
  Command c = run_kgrid({"build", "--kernel", kBookworm, "--out", out.str()});
  INFO(c.output);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  const auto& k = run.kernels[0];
  CHECK(c.output.find("kmod/gcc-12") != std::string::npos);  // the table
  CHECK(c.output.find("bpf/clang-14") != std::string::npos);
  bool any_fail = false;
  for (const auto& b : k.builds) {
    INFO(b.driver << "/" << b.compiler << ": " << b.reason);
    int version = std::stoi(b.compiler.substr(b.compiler.find('-') + 1));
    if (b.driver == "kmod" && version < 12) {
      // Debian's 6.1 was built with gcc-12 and its config asks for gcc-12's
      // flags (-ftrivial-auto-var-init=zero): an older gcc really cannot build for it.
      CHECK(b.verdict == Verdict::Fail);
      CHECK(b.reason.find("error:") != std::string::npos);
      any_fail = true;
    } else {
      CHECK(b.verdict == Verdict::Pass);
      CHECK(fs::exists(b.artifact));
    }
  }
  CHECK(c.exit_code == (any_fail ? 1 : 0));
}

TEST_CASE("a broken driver source is BUILD_FAIL with the compiler's error, and the sweep goes on") {
  OutDir out("drivers-broken");
  fs::path src = out.path() / "src";
  fs::create_directories(src);
  fs::copy(std::string(KGRID_SOURCE_DIR) + "/probes/kmod", src / "kmod");
  fs::copy(std::string(KGRID_SOURCE_DIR) + "/probes/bpf", src / "bpf");
  replace_once(src / "kmod/kgrid_kmod.c", "ring_head++;", "ring_head++; kgrid_no_such_function();");
  replace_once(src / "bpf/kgrid_legacy.bpf.c", "e->tgid = (__u32)tgid;", "e->tgid = (__u32)tgid + kgrid_no_such_variable;");

  // kgrid build alone: the table and results.json, nothing booted.
  Command b = run_kgrid({"build", "--kernel", kBookworm, "--sources", src.string(), "--compiler", "gcc-12,clang-14",
                         "--out", (out.path() / "build-only").string()});
  INFO(b.output);
  CHECK(b.exit_code == 1);
  CHECK(b.output.find("BUILD_FAIL") != std::string::npos);
  CHECK(b.output.find("kmod/gcc-") != std::string::npos);
  auto built = read_results(out.path() / "build-only");
  REQUIRE(built.kernels.size() == 1);
  CHECK(built.kernels[0].verdict == Verdict::Fail);
  for (const auto& r : built.kernels[0].builds) {
    INFO(r.driver << "/" << r.compiler << ": " << r.reason);
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.artifact.empty());
    CHECK(r.reason.find("error:") != std::string::npos);
    CHECK(r.reason.find(r.driver == "kmod" ? "kgrid_no_such_function" : "kgrid_no_such_variable") != std::string::npos);
    CHECK(slurp(r.log).find("error:") != std::string::npos);
  }

  // kgrid run: the failed cells are FAIL tests decided on the host; the
  // built-in test still runs and passes on the same kernel.
  Command r = run_kgrid({"run", "--kernel", kBookworm, "--build", "kmod,bpf", "--sources", src.string(), "--compiler",
                         "gcc-12,clang-14", "--out", (out.path() / "run").string()});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  auto run = read_results(out.path() / "run");
  REQUIRE(run.kernels.size() == 1);
  const auto& k = run.kernels[0];
  CHECK(k.verdict == Verdict::Fail);
  CHECK(k.reason.find("BUILD_FAIL: ") != std::string::npos);
  const TestResult* modern = find_test(k, "modern_bpf");
  REQUIRE(modern != nullptr);
  CHECK(modern->verdict == Verdict::Pass);
  size_t failed = 0;
  for (const auto& t : k.tests)
    if (t.reason.rfind("BUILD_FAIL: ", 0) == 0) failed += t.verdict == Verdict::Fail;
  CHECK(failed == k.builds.size());
}

TEST_CASE("a module that oopses makes the kernel PANIC") {
  OutDir out("drivers-oops");
  Command c = run_kgrid({"run", "--kernel", kBookworm, "--build", "kmod", "--compiler", "gcc-12", "--driver-fault", "oops",
                         "--out", out.str()});
  INFO(c.output);
  CHECK(c.exit_code == 1);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  CHECK(run.kernels[0].verdict == Verdict::Panic);
  CHECK(run.kernels[0].reason.find("NULL pointer dereference") != std::string::npos);
}
