// The compile grid without real kernels: compilers found in a fake PATH, a
// fake split header tree, recipes, error excerpts, the parallel runner
// against a fake kbuild, and the plan tests made from the outcomes.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compile/compilers.h"
#include "compile/headers.h"
#include "compile/testing.h"
#include "compile/driver_tests.h"
#include "compile/runner.h"
#include "compile/steps.h"

using namespace kgrid::host;
using namespace kgrid::host::testing;
namespace fs = std::filesystem;
using kgrid::results::Verdict;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// A Debian-style split tree: <root>/amd64 (objtree) includes <root>/common/Makefile.
HeaderTree fake_tree(const fs::path& root, const std::string& makefile_body, const std::string& config = "") {
  write(root / "common/Makefile", makefile_body);
  write(root / "common/include/linux/kconfig.h", "");
  write(root / "amd64/Makefile", "include " + (root / "common/Makefile").string() + "\n");
  write(root / "amd64/.config", config);
  write(root / "amd64/Module.symvers", "");
  auto t = header_tree_at(root / "amd64", "6.1.0-test-amd64");
  REQUIRE(t.ok());
  return *t;
}

}  // namespace

TEST_CASE("compilers: versioned names only, clang with its llc, sorted gcc first") {
  TempDir d("compilers");
  for (const char* n : {"gcc-12", "gcc-11", "clang-14", "llc-14", "clang-15", "gcc", "clang-x"})
    write(d.path / n, "#!/bin/sh\n", true);
  write(d.path / "gcc-13", "not executable");
  auto found = find_compilers({d.path});
  std::vector<std::string> names;
  for (const auto& c : found) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"gcc-11", "gcc-12", "clang-14"});
  CHECK(found[2].llc == d.path / "llc-14");

  CHECK(!parse_compiler_name("gcc").ok());
  CHECK(!parse_compiler_name("icc-3").ok());
  CHECK(!parse_compiler_name("gcc-12a").ok());
  CHECK(parse_compiler_name("clang-16")->version == 16);

  CHECK(select_compilers({}, found)->size() == 3);
  CHECK(select_compilers({"clang-14", "clang-14"}, found)->size() == 1);
  auto missing = select_compilers({"clang-16"}, found);
  REQUIRE(!missing.ok());
  CHECK(missing.error().message == "compiler clang-16 is not installed (with llc-16); found: gcc-11, gcc-12, clang-14");
}

TEST_CASE("header trees: srctree from Debian's include line, kbuild dir behind scripts/; make variables") {
  TempDir d("tree");
  HeaderTree t = fake_tree(d.path, "", "CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=y\n");
  CHECK(t.build_dir == d.path / "amd64");
  CHECK(t.src_dir == d.path / "common");
  CHECK(t.kbuild_dir == t.build_dir);  // no scripts/ symlink here
  fs::create_directories(d.path / "kbuild/scripts");
  fs::create_symlink("../kbuild/scripts", d.path / "amd64/scripts");
  CHECK(header_tree_at(d.path / "amd64", "x")->kbuild_dir == fs::canonical(d.path / "kbuild"));
  CHECK(!header_tree_at(d.path / "nope", "x").ok());

  // A compiler that rejects -fmin-function-alignment gets kbuild's fallback.
  Compiler old = fake_gcc();
  old.cc = "/bin/false";
  auto vars = kbuild_make_vars(t, old);
  CHECK(has(vars, "CC=/bin/false"));
  CHECK(has(vars, "CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT="));
}

TEST_CASE("recipes: kbuild for kmod; clang -emit-llvm then llc for bpf, with the kernel's include order") {
  TempDir d("recipes");
  HeaderTree t = fake_tree(d.path, "", "CONFIG_CC_MS_EXTENSIONS=y\n");
  auto k = recipe_for("kmod", t, fake_gcc(), "/w");
  REQUIRE(k.ok());
  REQUIRE(k->steps.size() == 1);
  CHECK(k->steps[0].argv[0] == "make");
  CHECK(has(k->steps[0].argv, "M=/w"));
  CHECK(k->steps[0].argv.back() == "modules");
  CHECK(k->artifact == "/w/kgrid_kmod.ko");

  Compiler clang{"clang-14", "clang", 14, "/usr/bin/clang-14", "/usr/bin/llc-14", "/res/include", "clang 14"};
  auto b = recipe_for("bpf", t, clang, "/w");
  REQUIRE(b.ok());
  REQUIRE(b->steps.size() == 2);
  const auto& c = b->steps[0].argv;
  CHECK(c[0] == "/usr/bin/clang-14");
  CHECK(has(c, "-nostdinc"));
  CHECK(has(c, "-emit-llvm"));
  CHECK(has(c, "-fms-extensions"));
  CHECK(has(c, "-D__TARGET_ARCH_x86"));
  auto pos = [&](const std::string& s) { return std::find(c.begin(), c.end(), s) - c.begin(); };
  CHECK(pos("-I" + (d.path / "common/arch/x86/include").string()) <
        pos("-I" + (d.path / "amd64/arch/x86/include/generated").string()));
  CHECK(b->steps[1].argv[0] == "/usr/bin/llc-14");
  CHECK(has(b->steps[1].argv, "-march=bpf"));
  CHECK(b->artifact == "/w/kgrid_legacy.o");

  CHECK(!recipe_for("kmod", t, clang, "/w").ok());
  CHECK(!recipe_for("bpf", t, fake_gcc(), "/w").ok());
}

TEST_CASE("first_error_line: the compiler's error, shortened; else modpost, make, the last line") {
  std::string log =
      "make: Entering directory '/k'\n"
      "  CC [M]  /w/x/kgrid_kmod.c\n"
      "/w/x/kgrid_kmod.c: In function 'f':\n"
      "/w/x/kgrid_kmod.c:12:9: warning: unused variable 'y'\n"
      "/w/x/kgrid_kmod.c:14:2: error: implicit declaration of function 'nope'\n"
      "/w/x/kgrid_kmod.c:15:2: error: second\n"
      "make[2]: *** [x] Error 1\n";
  CHECK(first_error_line(log, "/w/x") == "kgrid_kmod.c:14:2: error: implicit declaration of function 'nope'");
  CHECK(first_error_line("ERROR: modpost: \"foo\" [/w/m.ko] undefined!\nmake: *** [m] Error 2\n", "/w") ==
        "ERROR: modpost: \"foo\" [m.ko] undefined!");
  CHECK(first_error_line("x\nmake: *** No rule to make target 'modules'.  Stop.\n", "/w") ==
        "make: *** No rule to make target 'modules'.  Stop.");
  CHECK(first_error_line("a\nlast words\n\n", "/w") == "last words");
  CHECK(first_error_line("", "/w") == "");
}

TEST_CASE("run_logged: output to the log, exit codes, and a timeout that kills the whole group") {
  TempDir d("logged");
  int fd = ::open((d.path / "log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  CHECK(*run_logged({"sh", "-c", "echo out; echo err >&2; echo $LC_ALL; exit 3"}, d.path, fd, 10) == 3);
  auto t0 = std::chrono::steady_clock::now();
  auto slow = run_logged({"sh", "-c", "sleep 30 & sleep 30"}, d.path, fd, 0.5);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  REQUIRE(!slow.ok());
  CHECK(slow.error().message == "sh timed out after 0s");
  CHECK(*run_logged({"/nonexistent/cc"}, d.path, fd, 10) == 127);
  ::close(fd);
  std::string log = slurp(d.path / "log");
  CHECK(log.find("out\nerr\nC\n") != std::string::npos);
  CHECK(log.find("cannot execute /nonexistent/cc") != std::string::npos);
}

TEST_CASE("the grid: BUILT, BUILD_FAIL with the error line, SKIP; logs per cell; the cache") {
  TempDir d("grid");
  // A fake kbuild: "modules" compiles nothing; it copies or fails on request.
  HeaderTree ok = fake_tree(d.path / "ok", "modules:\n\t@echo building in $(M)\n\tcp $(M)/Kbuild $(M)/kgrid_kmod.ko\n");
  HeaderTree bad = fake_tree(d.path / "bad",
                             "modules:\n\t@echo '$(M)/kgrid_kmod.c:3:1: error: expected declaration' >&2\n\t@false\n");
  HeaderTree skip = ok;
  skip.kbuild_skip = "kbuild host tools need GLIBC_2.38; this host has 2.36";
  std::vector<BuildCell> cells = {
      {"k-ok", "6.1.0-test-amd64", "kmod", fake_gcc(), ok, "", {}, nullptr},
      {"k-bad", "6.1.0-bad-amd64", "kmod", fake_gcc(), bad, "", {}, nullptr},
      {"k-skip", "6.12.0-amd64", "kmod", fake_gcc(), skip, "", {}, nullptr},
      {"k-none", "7.0.0-amd64", "kmod", fake_gcc(), std::nullopt, "no headers for 7.0.0-amd64", {}, nullptr},
  };
  BuildGridOptions o;
  o.out = d.path / "out";
  o.jobs = 3;
  o.cache = d.path / "cache";
  size_t calls = 0;
  o.on_done = [&](const BuildOutcome&, size_t done, size_t total) {
    ++calls;
    CHECK(done == calls);
    CHECK(total == 4);
  };
  auto r = run_build_grid(cells, o);
  REQUIRE(r.size() == 4);
  CHECK(calls == 4);
  CHECK(r[0].verdict == BuildVerdict::Built);
  CHECK(r[0].artifact == o.out / "build/k-ok/kmod-gcc-12.ko");
  CHECK(fs::exists(r[0].artifact));
  CHECK(!r[0].cached);
  CHECK(slurp(r[0].log).find("building in") != std::string::npos);
  CHECK(r[1].verdict == BuildVerdict::BuildFail);
  CHECK(r[1].reason == "kgrid_kmod.c:3:1: error: expected declaration");
  CHECK(r[1].artifact.empty());
  CHECK(slurp(o.out / "build/k-bad/kmod-gcc-12.log").find("BUILD_FAIL: make exited with status 2") != std::string::npos);
  CHECK(r[2].verdict == BuildVerdict::Skip);
  CHECK(r[2].reason == skip.kbuild_skip);
  CHECK(r[3].verdict == BuildVerdict::Skip);
  CHECK(r[3].reason == "no headers for 7.0.0-amd64");

  // Same inputs again: from the cache, same bytes.
  std::string first = slurp(r[0].artifact);
  o.on_done = nullptr;
  fs::remove(r[0].artifact);
  auto again = run_build_grid({cells[0]}, o);
  CHECK(again[0].verdict == BuildVerdict::Built);
  CHECK(again[0].cached);
  CHECK(slurp(again[0].artifact) == first);
  CHECK(first.find("obj-m") != std::string::npos);  // the fake kbuild copied Kbuild
  CHECK(slurp(again[0].log).find("from the build cache") != std::string::npos);
}

TEST_CASE("plan tests from outcomes: one guest test per artifact, host tests for the rest") {
  std::vector<BuildOutcome> outs(3);
  outs[0] = {"k", "6.1.0-50-amd64", "kmod", "gcc-12", BuildVerdict::Built, "", "/o/build/k/kmod-gcc-12.ko", "/o/l1", 1.5, false, ""};
  outs[1] = {"k", "6.1.0-50-amd64", "bpf", "clang-14", BuildVerdict::BuildFail, "x.c:1: error: boom", "", "/o/l2", 0.2, false, ""};
  outs[2] = {"k", "6.1.0-50-amd64", "kmod", "gcc-11", BuildVerdict::Skip, "kbuild host tools need GLIBC_2.38", "", "/o/l3", 0, false, ""};
  KernelDriverTests t = tests_from_builds(outs, 45);
  REQUIRE(t.tests.size() == 1);
  const auto& test = t.tests[0];
  CHECK(test.name == "kmod/gcc-12");
  CHECK(test.driver == "kmod");
  CHECK(test.probe == std::vector<std::string>{"/kgrid/bin/kgrid-probe", "--driver", "kmod", "--module",
                                               "/kgrid/drivers/kmod-gcc-12.ko"});
  CHECK(test.expect_truth);
  CHECK(test.timeout_s == 45);
  CHECK(t.compilers.at("kmod/gcc-12") == "gcc-12");
  REQUIRE(t.files.size() == 1);
  CHECK(t.files[0].guest == "/kgrid/drivers/kmod-gcc-12.ko");
  REQUIRE(t.host_tests.size() == 2);
  CHECK(t.host_tests[0].name == "bpf/clang-14");
  CHECK(t.host_tests[0].verdict == Verdict::Fail);
  CHECK(t.host_tests[0].reason == "BUILD_FAIL: x.c:1: error: boom");
  CHECK(t.host_tests[0].compiler == "clang-14");
  CHECK(t.host_tests[1].verdict == Verdict::Skip);
  REQUIRE(t.builds.size() == 3);
  CHECK(t.builds[0].verdict == Verdict::Pass);
  CHECK(t.builds[0].artifact == "/o/build/k/kmod-gcc-12.ko");
  CHECK(t.builds[0].metrics.at("duration_ms") == 1500);
  CHECK(t.builds[1].verdict == Verdict::Fail);
  CHECK(t.builds[2].verdict == Verdict::Skip);

  auto bpf = artifact_test("bpf/clang-14", "bpf", "/kgrid/drivers/bpf-clang-14.o", 60, "verifier");
  CHECK(bpf.probe[3] == "--object");
  CHECK(bpf.probe.back() == "verifier");
  CHECK(bpf.min_kernel == "5.8");
}

TEST_CASE("merge_host_tests: a build failure fails a passing kernel; worse verdicts stay") {
  kgrid::results::TestResult fail{"bpf/clang-14", "bpf", Verdict::Fail, "BUILD_FAIL: boom", {}, "clang-14"};
  kgrid::results::TestResult skip{"kmod/gcc-11", "kmod", Verdict::Skip, "no headers", {}, "gcc-11"};
  kgrid::results::KernelResult pass;
  pass.verdict = Verdict::Pass;
  merge_host_tests(pass, {skip});
  CHECK(pass.verdict == Verdict::Pass);
  CHECK(pass.tests.size() == 1);
  merge_host_tests(pass, {fail});
  CHECK(pass.verdict == Verdict::Fail);
  CHECK(pass.reason == "bpf/clang-14: BUILD_FAIL: boom");
  KernelDriverTests dt;
  dt.compilers["kmod/gcc-12"] = "gcc-12";
  dt.host_tests = {skip};
  kgrid::results::KernelResult guest;
  guest.verdict = Verdict::Pass;
  guest.tests = {{"kmod/gcc-12", "kmod", Verdict::Pass, "", {}, ""}, {"modern_bpf", "modern_bpf", Verdict::Pass, "", {}, ""}};
  merge_driver_results(guest, dt);
  REQUIRE(guest.tests.size() == 3);
  CHECK(guest.tests[0].compiler == "gcc-12");
  CHECK(guest.tests[1].compiler == "");
  CHECK(guest.verdict == Verdict::Pass);
  kgrid::results::KernelResult panic;
  panic.verdict = Verdict::Panic;
  panic.reason = "Oops";
  merge_host_tests(panic, {fail});
  CHECK(panic.verdict == Verdict::Panic);
  CHECK(panic.reason == "Oops");
}

TEST_CASE("--artifacts DIR: by release or kernel id; none is a SKIP naming the release") {
  TempDir d("artifacts");
  write(d.path / "6.1.0-50-amd64/kmod-gcc-12.ko", "ko");
  write(d.path / "6.1.0-50-amd64/mine.o", "o");
  write(d.path / "6.1.0-50-amd64/notes.txt", "");
  write(d.path / "debian-trixie-6.12/bpf-clang-16.o", "o");
  ResolvedKernel k61{"debian-bookworm-6.1.0-50-amd64", "", "/v", std::nullopt, "6.1.0-50-amd64", "x86_64"};
  ResolvedKernel k612{"debian-trixie-6.12", "", "/v", std::nullopt, "6.12.0-amd64", "x86_64"};
  ResolvedKernel k510{"debian-bullseye-5.10", "", "/v", std::nullopt, "5.10.0-32-amd64", "x86_64"};
  auto a = tests_from_artifacts(d.path, k61, 60);
  REQUIRE(a.tests.size() == 2);
  CHECK(a.tests[0].name == "kmod/gcc-12");
  CHECK(a.tests[1].name == "bpf/mine");
  CHECK(a.files[1].guest == "/kgrid/drivers/bpf-mine.o");
  CHECK(a.host_tests.empty());
  CHECK(tests_from_artifacts(d.path, k612, 60).tests.at(0).name == "bpf/clang-16");
  auto none = tests_from_artifacts(d.path, k510, 60);
  CHECK(none.tests.empty());
  REQUIRE(none.host_tests.size() == 1);
  CHECK(none.host_tests[0].verdict == Verdict::Skip);
  CHECK(none.host_tests[0].reason == "no artifact for 5.10.0-32-amd64");
}
