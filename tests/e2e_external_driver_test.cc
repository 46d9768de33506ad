// End-to-end: an external driver. A copy of kgrid's reference kernel module
// (probes/kmod) stands in for a user's driver tree, built with a plain Kbuild
// command (--driver-src DIR --build-cmd CMD) against a real Debian kernel's
// headers, then loaded in the guest by a user spec that names {driver}, and
// checked against the generator's ground truth; a copy of the legacy eBPF
// probe (probes/bpf) built with clang from $KERNEL_INCLUDES gets kgrid's
// reference test when no spec names {driver}. Also: a syntax error is
// BUILD_FAIL with the compiler's line, a command that makes nothing is
// BUILD_FAIL "no file", a command that hangs is TIMEOUT, and bad input is
// refused before anything is built.
#include <doctest/doctest.h>

#include <algorithm>
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
const std::string kKbuildCmd = "make -C \"$KERNEL_DIR\" M=\"$SRC\" CC=\"$CC\" modules";

// A user's driver tree: a copy of probes/kmod.
fs::path copy_reference_module(const fs::path& dir) {
  fs::create_directories(dir.parent_path());
  fs::copy(std::string(KGRID_SOURCE_DIR) + "/probes/kmod", dir, fs::copy_options::recursive);
  return dir;
}

std::vector<std::string> tree_listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.push_back(e.path().lexically_relative(dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("an external kmod tree builds with its own Kbuild command and PASSes a spec that loads {driver}") {
  OutDir out("external-driver");
  fs::path src = copy_reference_module(out.path() / "trees" / "mydrv");
  const auto before = tree_listing(src);
  fs::path spec = out.path() / "load_mydrv.toml";
  std::ofstream(spec) << "name = \"load\"\n"
                         "command = [\"/kgrid/bin/kgrid-probe\", \"--driver\", \"kmod\", \"--module\", \"{driver}\"]\n"
                         "ready = \"kgrid-probe: ready\"\n"
                         "generator = [\"/kgrid/bin/kgrid-gen\"]\n"
                         "[expect]\n"
                         "truth = true\n"
                         "metrics = [\"drops == 0\", \"events >= 10000\"]\n";

  Command c = run_kgrid({"run", "--kernel", kBookworm, "--driver-src", src.string(), "--build-cmd", kKbuildCmd,
                         "--compiler", "gcc-12", "--spec", spec.string(), "--no-build-cache", "--out",
                         (out.path() / "run").string()});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  auto run = read_results(out.path() / "run");
  REQUIRE(run.kernels.size() == 1);
  const KernelResult& k = run.kernels[0];
  INFO(k.id << ": " << k.reason);
  CHECK(k.verdict == Verdict::Pass);
  REQUIRE(k.builds.size() == 1);
  const auto& b = k.builds[0];
  INFO(b.reason);
  CHECK(b.driver == "mydrv");  // the directory's name
  CHECK(b.compiler == "gcc-12");
  CHECK(b.verdict == Verdict::Pass);
  CHECK(b.artifact == (out.path() / "run/build" / k.id / "mydrv-gcc-12.ko").string());
  CHECK(fs::exists(b.artifact));
  std::string log = slurp(b.log);
  CHECK(log.find("  KERNEL_DIR=") != std::string::npos);
  CHECK(log.find("(from SRC/kgrid_kmod.ko)") != std::string::npos);  // Kbuild leaves it in M=$SRC

  const TestResult* t = find_test(k, "load/gcc-12");
  REQUIRE(t != nullptr);
  INFO(t->reason);
  CHECK(t->verdict == Verdict::Pass);
  CHECK(t->driver == "mydrv");
  CHECK(t->compiler == "gcc-12");
  CHECK(t->metrics.at("events") >= 10000);
  CHECK(t->metrics.at("drops") == 0);
  CHECK(find_test(k, "modern_bpf") == nullptr);  // --spec replaces the built-in test
  std::string console = slurp(out.path() / "run/kernels" / k.id / "console.log");
  CHECK(console.find("kgrid_kmod: attached to sys_enter") != std::string::npos);
  CHECK(slurp(out.path() / "run/summary.txt").find("mydrv / gcc-12") != std::string::npos);
  CHECK(tree_listing(src) == before);  // built in a copy, DIR untouched

  // kgrid build alone, twice: the second time from the build cache.
  for (int i = 0; i < 2; ++i) {
    Command bc = run_kgrid({"build", "--kernel", kBookworm, "--driver-src", src.string(), "--driver-name", "mine",
                            "--build-cmd", kKbuildCmd, "--compiler", "gcc-12", "--out", (out.path() / "build").string()});
    INFO(bc.output);
    CHECK(bc.exit_code == 0);
    CHECK(bc.output.find("mine/gcc-12") != std::string::npos);  // the table
    auto built = read_results(out.path() / "build");
    REQUIRE(built.kernels.size() == 1);
    REQUIRE(built.kernels[0].builds.size() == 1);
    CHECK(built.kernels[0].builds[0].verdict == Verdict::Pass);
    if (i == 1) CHECK(built.kernels[0].builds[0].metrics.count("cached") == 1);
  }
}

TEST_CASE("an external BPF object built with $CLANG $KERNEL_INCLUDES gets kgrid's reference test without a spec") {
  OutDir out("external-driver-bpf");
  fs::create_directories(out.path() / "trees");
  fs::copy(std::string(KGRID_SOURCE_DIR) + "/probes/bpf", out.path() / "trees" / "legacy", fs::copy_options::recursive);
  const std::string cmd =
      "$CLANG -nostdinc -isystem \"$($CLANG -print-file-name=include)\" $KERNEL_INCLUDES -D__KERNEL__ "
      "-D__BPF_TRACING__ -D__TARGET_ARCH_$ARCH -Wno-address-of-packed-member -Wno-gnu-variable-sized-type-not-at-end "
      "-O2 -g -emit-llvm -c kgrid_legacy.bpf.c -o kgrid_legacy.bc && "
      "$LLC -march=bpf -filetype=obj kgrid_legacy.bc -o \"$OUT/kgrid_legacy.o\"";
  Command c = run_kgrid({"run", "--kernel", kBookworm, "--driver-src", (out.path() / "trees" / "legacy").string(),
                         "--driver-kind", "bpf", "--build-cmd", cmd, "--compiler", "clang-14,gcc-12", "--out",
                         (out.path() / "run").string()});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  auto run = read_results(out.path() / "run");
  REQUIRE(run.kernels.size() == 1);
  const KernelResult& k = run.kernels[0];
  INFO(k.reason);
  CHECK(k.verdict == Verdict::Pass);
  REQUIRE(k.builds.size() == 2);  // in the order of --compiler
  CHECK(k.builds[0].compiler == "clang-14");
  CHECK(k.builds[0].verdict == Verdict::Pass);
  CHECK(k.builds[1].compiler == "gcc-12");  // named, but of the other kind
  CHECK(k.builds[1].verdict == Verdict::Skip);
  CHECK(k.builds[1].reason == "a bpf driver is built with clang-N, not gcc-12 (--driver-kind)");
  const TestResult* skipped = find_test(k, "legacy/gcc-12");
  REQUIRE(skipped != nullptr);
  CHECK(skipped->verdict == Verdict::Skip);
  const TestResult* t = find_test(k, "legacy/clang-14");
  REQUIRE(t != nullptr);
  INFO(t->reason);
  CHECK(t->verdict == Verdict::Pass);
  CHECK(t->compiler == "clang-14");
  CHECK(t->metrics.at("drops") == 0);
  const TestResult* modern = find_test(k, "modern_bpf");  // the built-in test still runs without --spec
  REQUIRE(modern != nullptr);
  CHECK(modern->verdict == Verdict::Pass);
}

TEST_CASE("external drivers: a syntax error, no artifact and a hang are BUILD_FAIL and TIMEOUT; bad input is refused") {
  OutDir out("external-driver-bad");
  fs::path broken = copy_reference_module(out.path() / "trees" / "broken");
  {
    std::string c = slurp(broken / "kgrid_kmod.c");
    size_t pos = c.find("ring_head++;");
    REQUIRE(pos != std::string::npos);
    c.replace(pos, 12, "ring_head++ kgrid_syntax_error;");
    std::ofstream(broken / "kgrid_kmod.c", std::ios::trunc) << c;
  }
  auto build = [&](const std::string& name, const fs::path& src, const std::string& cmd,
                   std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"build", "--kernel", kBookworm, "--driver-src", src.string(), "--build-cmd", cmd,
                                     "--compiler", "gcc-12", "--out", (out.path() / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_kgrid(args);
  };
  auto only_build = [&](const std::string& name) {
    auto r = read_results(out.path() / name);
    REQUIRE(r.kernels.size() == 1);
    REQUIRE(r.kernels[0].builds.size() == 1);
    return r.kernels[0].builds[0];
  };

  Command syntax = build("syntax", broken, kKbuildCmd);
  INFO(syntax.output);
  CHECK(syntax.exit_code == 1);
  auto s = only_build("syntax");
  INFO(s.reason);
  CHECK(s.verdict == Verdict::Fail);
  CHECK(s.reason.rfind("BUILD_FAIL: kgrid_kmod.c:", 0) == 0);  // the path is shortened to the tree's
  CHECK(s.reason.find("error:") != std::string::npos);
  CHECK(s.reason.find("kgrid_syntax_error") != std::string::npos);
  CHECK(s.artifact.empty());

  fs::path good = copy_reference_module(out.path() / "trees" / "good");
  Command nothing = build("nothing", good, "echo 'nothing to do'");
  INFO(nothing.output);
  CHECK(nothing.exit_code == 1);
  CHECK(only_build("nothing").reason ==
        "BUILD_FAIL: build succeeded but produced no file matching '*.ko' in OUT (nor a new one in SRC)");

  Command hang = build("hang", good, "sleep 60", {"--timeout", "2"});
  INFO(hang.output);
  CHECK(hang.exit_code == 1);
  auto h = only_build("hang");
  CHECK(h.verdict == Verdict::Timeout);
  CHECK(h.reason == "build timed out after 2s (killed)");
  CHECK(h.metrics.at("duration_ms") < 20000);

  // Refused before anything is built or booted.
  Command missing = build("missing", out.path() / "no-such-tree", kKbuildCmd);
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("--driver-src " + (out.path() / "no-such-tree").string() + ": no such directory") !=
        std::string::npos);
  Command empty = build("empty", good, " ");
  CHECK(empty.exit_code == 2);
  CHECK(empty.output.find("--build-cmd is empty") != std::string::npos);
  Command run_missing = run_kgrid({"run", "--kernel", kBookworm, "--driver-src", (out.path() / "nope").string(),
                                   "--build-cmd", kKbuildCmd, "--out", (out.path() / "run-missing").string()});
  CHECK(run_missing.exit_code == 2);
  CHECK(run_missing.output.find("no such directory") != std::string::npos);
}
