// External drivers (--driver-src DIR --build-cmd CMD) without real kernels:
// option checks, the source tree (listing, hash, copy), artifact globs and
// kinds, the command's environment, cells built by /bin/sh commands against a
// fake header tree (BUILT from OUT or SRC, BUILD_FAIL, no artifact, several,
// TIMEOUT, SKIP, the cache, DIR untouched), and the plan a spec naming
// {driver} becomes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "compile/external.h"
#include "compile/external_cell.h"
#include "compile/headers.h"
#include "compile/testing.h"
#include "compile/driver_tests.h"
#include "compile/runner.h"

using namespace kgrid::host;
using namespace kgrid::host::testing;
namespace fs = std::filesystem;
using kgrid::results::Verdict;

namespace {

// The first 20 bytes of a little-endian ELF header: type, machine.
std::string elf(int type, int machine) {
  std::string h = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  h.resize(16, '\0');
  h += {static_cast<char>(type), 0, static_cast<char>(machine & 0xff), static_cast<char>(machine >> 8)};
  return h + std::string(44, '\0');
}
const std::string kModule = elf(1, 62);  // ET_REL, x86-64
const std::string kBpfObject = elf(1, 247);

HeaderTree fake_tree(const fs::path& root) {
  write(root / "Makefile", "all:\n");
  write(root / "include/linux/kconfig.h", "");
  write(root / ".config", "CONFIG_MODULES=y\n");
  write(root / "Module.symvers", "");
  auto t = header_tree_at(root, "6.1.0-test-amd64");
  REQUIRE(t.ok());
  return *t;
}

std::vector<std::string> names(const std::vector<TreeEntry>& tree) {
  std::vector<std::string> out;
  for (const auto& e : tree) out.push_back(e.rel.string());
  return out;
}

}  // namespace

TEST_CASE("external options: a missing or empty input is an error that says what to give; defaults") {
  TempDir d("options");
  fs::create_directories(d.path / "my-drv");
  write(d.path / "file", "");
  auto check = [](ExternalDriverOptions o) { return check_external_options(o); };
  CHECK(check({d.path / "nope", "make", "", "", ""}).error().message ==
        "--driver-src " + (d.path / "nope").string() + ": no such directory");
  CHECK(check({d.path / "file", "make", "", "", ""}).error().message.find("not a directory") != std::string::npos);
  CHECK(check({d.path, "", "", "", ""}).error().message.rfind("--build-cmd is missing: give the command", 0) == 0);
  CHECK(check({d.path, "  \t", "", "", ""}).error().message.rfind("--build-cmd is empty", 0) == 0);
  CHECK(check({"", "make", "", "", ""}).error().message.find("need --driver-src DIR") != std::string::npos);
  CHECK(!check({d.path, "make", "a b", "", ""}).ok());
  CHECK(!check({d.path, "make", "-x", "", ""}).ok());
  CHECK(!check({d.path, "make", "", "ebpf", ""}).ok());
  CHECK(check({d.path, "make", "", "", "/abs/*.ko"}).error().message == "--artifact /abs/*.ko: must be relative to $OUT");
  CHECK(!check({d.path, "make", "", "", "../*.ko"}).ok());

  auto ok = check({d.path / "my-drv" / ".", "make", "", "", ""});
  REQUIRE(ok.ok());
  CHECK(ok->name == "my-drv");
  CHECK(ok->kind == "kmod");
  CHECK(ok->artifact == "*.ko");
  auto bpf = check({d.path / "my-drv", "make", "probe", "bpf", ""});
  REQUIRE(bpf.ok());
  CHECK(bpf->name == "probe");
  CHECK(bpf->artifact == "*.o");
}

TEST_CASE("the source tree: without .git and OUT, symlinks kept, hashed by content and mode, copied faithfully") {
  TempDir d("tree");
  fs::path src = d.path / "src";
  write(src / "Kbuild", "obj-m := m.o\n");
  write(src / "m.c", "int x;\n");
  write(src / "scripts/gen.sh", "#!/bin/sh\n", true);
  write(src / ".git/HEAD", "ref: refs/heads/main\n");
  write(src / "sub/.git", "gitdir: ../.git/modules/sub\n");
  write(src / "kgrid-results/build/x.log", "old run\n");
  fs::create_symlink("m.c", src / "link.c");

  auto tree = list_source_tree(src, {src / "kgrid-results"});
  REQUIRE(tree.ok());
  CHECK(names(*tree) == std::vector<std::string>{"Kbuild", "link.c", "m.c", "scripts", "scripts/gen.sh", "sub"});
  auto gen = std::find_if(tree->begin(), tree->end(), [](const TreeEntry& e) { return e.rel == "scripts/gen.sh"; });
  CHECK(gen->exec);
  CHECK(tree->at(1).type == TreeEntry::Type::Symlink);
  CHECK(tree->at(1).link == "m.c");

  auto h1 = hash_source_tree(src, *tree);
  REQUIRE(h1.ok());
  CHECK(*hash_source_tree(src, *tree) == *h1);
  write(src / "m.c", "int y;\n");
  CHECK(*hash_source_tree(src, *tree) != *h1);
  write(src / "m.c", "int x;\n");
  CHECK(*hash_source_tree(src, *tree) == *h1);
  fs::permissions(src / "m.c", fs::perms::owner_exec, fs::perm_options::add);
  CHECK(*hash_source_tree(src, *list_source_tree(src, {src / "kgrid-results"})) != *h1);

  REQUIRE(copy_source_tree(src, *tree, d.path / "copy").ok());
  CHECK(slurp(d.path / "copy/m.c") == "int x;\n");
  CHECK(fs::is_symlink(d.path / "copy/link.c"));
  CHECK(slurp(d.path / "copy/link.c") == "int x;\n");
  CHECK((fs::status(d.path / "copy/scripts/gen.sh").permissions() & fs::perms::owner_exec) != fs::perms::none);
  CHECK(!fs::exists(d.path / "copy/.git"));
  CHECK(!fs::exists(d.path / "copy/kgrid-results"));
}

TEST_CASE("artifacts: the glob is relative to the directory, '/' only matched by '/'; ELF kind checks") {
  TempDir d("match");
  write(d.path / "a.ko", kModule);
  write(d.path / "sub/b.ko", kModule);
  write(d.path / ".hidden.ko", kModule);
  write(d.path / "c.o", kBpfObject);
  CHECK(match_artifacts(d.path, "*.ko") == std::vector<fs::path>{d.path / "a.ko"});
  CHECK(match_artifacts(d.path, "sub/*.ko") == std::vector<fs::path>{d.path / "sub/b.ko"});
  CHECK(match_artifacts(d.path, "*/*.ko") == std::vector<fs::path>{d.path / "sub/b.ko"});
  CHECK(match_artifacts(d.path, "*.o") == std::vector<fs::path>{d.path / "c.o"});
  CHECK(match_artifacts(d.path / "none", "*.ko").empty());

  CHECK(check_artifact_kind(d.path / "a.ko", "kmod") == "");
  CHECK(check_artifact_kind(d.path / "c.o", "bpf") == "");
  CHECK(check_artifact_kind(d.path / "c.o", "kmod") == "c.o is a BPF object, not a kernel module: use --driver-kind bpf");
  CHECK(check_artifact_kind(d.path / "a.ko", "bpf").find("is not a BPF object (ELF machine 62)") != std::string::npos);
  write(d.path / "exe", elf(2, 62));
  CHECK(check_artifact_kind(d.path / "exe", "kmod") == "exe is not a relocatable ELF object (a .ko or .o)");
  write(d.path / "text.ko", "hello\n");
  CHECK(check_artifact_kind(d.path / "text.ko", "kmod") == "text.ko is not an ELF file");
}

TEST_CASE("the command's environment: kernel, compiler, SRC, OUT; CLANG and LLC for clang cells") {
  TempDir d("env");
  HeaderTree tree = fake_tree(d.path / "headers");
  ExternalDriver drv;
  drv.name = "mydrv";
  auto env = external_build_env(drv, "debian-x", tree, fake_gcc(), "/w/src", "/w/out");
  auto has = [&](const std::string& kv) { return std::find(env.begin(), env.end(), kv) != env.end(); };
  CHECK(has("KERNEL_DIR=" + tree.build_dir.string()));
  CHECK(has("KERNEL_SRC=" + tree.src_dir.string()));
  CHECK(has("KERNEL_RELEASE=6.1.0-test-amd64"));
  CHECK(has("KERNEL_ID=debian-x"));
  CHECK(has("ARCH=x86"));
  CHECK(has("CC=/bin/true"));
  CHECK(has("COMPILER=gcc-12"));
  CHECK(has("SRC=/w/src"));
  CHECK(has("OUT=/w/out"));
  CHECK(has("DRIVER_NAME=mydrv"));
  CHECK(std::any_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("KGRID_MAKE_ARGS=CC=/bin/true", 0) == 0; }));
  CHECK(std::none_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("CLANG=", 0) == 0; }));
  Compiler clang{"clang-16", "clang", 16, "/usr/bin/clang-16", "/usr/bin/llc-16", "", "clang 16"};
  auto cenv = external_build_env(drv, "debian-x", tree, clang, "/w/src", "/w/out");
  CHECK(std::find(cenv.begin(), cenv.end(), "CLANG=/usr/bin/clang-16") != cenv.end());
  CHECK(std::find(cenv.begin(), cenv.end(), "LLC=/usr/bin/llc-16") != cenv.end());
}

TEST_CASE("external cells: BUILT from OUT or SRC, BUILD_FAIL, no artifact, several, TIMEOUT, SKIP; cached; DIR untouched") {
  TempDir d("cells");
  HeaderTree tree = fake_tree(d.path / "headers");
  fs::path src = d.path / "drv";
  write(src / "mod.bin", kModule);
  write(src / "stale.ko", kModule);  // left over from a build in DIR
  write(src / "x.c", "int x;\n");
  auto driver = [&](const std::string& name, const std::string& cmd, const std::string& artifact = "") {
    auto drv = prepare_external_driver({src, cmd, name, "kmod", artifact}, d.path / "out");
    REQUIRE(drv.ok());
    return std::make_shared<const ExternalDriver>(std::move(*drv));
  };
  auto cell = [&](std::shared_ptr<const ExternalDriver> drv) {
    return BuildCell{"k", "6.1.0-test-amd64", drv->name, fake_gcc(), tree, "", {}, drv};
  };
  HeaderTree no_kbuild = tree;
  no_kbuild.kbuild_skip = "kbuild host tools need GLIBC_2.38; this host has 2.36";
  Compiler clang{"clang-16", "clang", 16, "/usr/bin/clang-16", "/usr/bin/llc-16", "", "clang 16"};
  auto mismatch = cell(driver("mismatch", "true"));
  mismatch.compiler = clang;
  mismatch.skip_reason = "a kmod driver is built with gcc-N, not clang-16 (--driver-kind)";
  auto glibc = cell(driver("glibc", "true"));
  glibc.tree = no_kbuild;

  std::vector<BuildCell> cells = {
      cell(driver("to-out", "echo \"$KERNEL_RELEASE $ARCH $COMPILER $DRIVER_NAME\" > \"$OUT/env.txt\"; cp mod.bin \"$OUT/m.ko\"")),
      cell(driver("in-src", "cp mod.bin built.ko")),  // kbuild's M=$SRC leaves the .ko in SRC
      cell(driver("broken", "echo \"$SRC/x.c:3:1: error: expected ';' before '}'\" >&2; exit 2")),
      cell(driver("nothing", "true")),
      cell(driver("several", "cp mod.bin \"$OUT/a.ko\"; cp mod.bin \"$OUT/b.ko\"")),
      cell(driver("hangs", "sleep 30")),
      cell(driver("text", "echo hi > \"$OUT/x.ko\"")),
      mismatch,
      glibc,
  };
  BuildGridOptions o;
  o.out = d.path / "out";
  o.jobs = 4;
  o.cache = d.path / "cache";
  o.timeout_s = 1;
  auto r = run_build_grid(cells, o);
  REQUIRE(r.size() == cells.size());
  for (const auto& x : r) CHECK(x.kind == "kmod");

  CHECK(r[0].verdict == BuildVerdict::Built);
  CHECK(r[0].driver == "to-out");
  CHECK(r[0].test_name() == "to-out/gcc-12");
  CHECK(r[0].artifact == o.out / "build/k/to-out-gcc-12.ko");
  CHECK(slurp(r[0].artifact) == kModule);
  CHECK(slurp(o.out / "build/k/to-out-gcc-12/out/env.txt") == "6.1.0-test-amd64 x86 gcc-12 to-out\n");
  CHECK(slurp(r[0].log).find("BUILT: " + r[0].artifact.string() + " (from OUT/m.ko)") != std::string::npos);
  CHECK(slurp(r[0].log).find("  KERNEL_DIR=" + tree.build_dir.string()) != std::string::npos);

  CHECK(r[1].verdict == BuildVerdict::Built);
  CHECK(slurp(r[1].log).find("(from SRC/built.ko)") != std::string::npos);

  CHECK(r[2].verdict == BuildVerdict::BuildFail);
  CHECK(r[2].reason == "x.c:3:1: error: expected ';' before '}'");
  CHECK(slurp(r[2].log).find("BUILD_FAIL: the build command exited with status 2") != std::string::npos);

  CHECK(r[3].verdict == BuildVerdict::BuildFail);
  CHECK(r[3].reason == "build succeeded but produced no file matching '*.ko' in OUT (nor a new one in SRC)");

  CHECK(r[4].verdict == BuildVerdict::BuildFail);
  CHECK(r[4].reason == "build produced 2 files matching '*.ko' in OUT (a.ko, b.ko): choose one with --artifact");

  CHECK(r[5].verdict == BuildVerdict::Timeout);
  CHECK(r[5].reason == "build timed out after 1s (killed)");
  CHECK(r[5].duration_s < 10);

  CHECK(r[6].verdict == BuildVerdict::BuildFail);
  CHECK(r[6].reason == "x.ko is not an ELF file");

  CHECK(r[7].verdict == BuildVerdict::Skip);
  CHECK(r[7].reason == mismatch.skip_reason);
  CHECK(r[7].compiler == "clang-16");
  CHECK(r[8].verdict == BuildVerdict::Skip);
  CHECK(r[8].reason == no_kbuild.kbuild_skip);

  // DIR is as it was: every cell built in its own copy.
  CHECK(names(*list_source_tree(src, {})) == std::vector<std::string>{"mod.bin", "stale.ko", "x.c"});

  // Again: from the cache; a changed tree or command is not.
  fs::remove(r[0].artifact);
  auto again = run_build_grid({cells[0]}, o);
  CHECK(again[0].verdict == BuildVerdict::Built);
  CHECK(again[0].cached);
  CHECK(slurp(again[0].artifact) == kModule);
  write(src / "x.c", "int y;\n");
  auto changed = run_build_grid({cell(driver("to-out", cells[0].external->cmd))}, o);
  CHECK(changed[0].verdict == BuildVerdict::Built);
  CHECK(!changed[0].cached);
}

TEST_CASE("a reference driver's build that runs out of time is TIMEOUT") {
  TempDir d("ref-timeout");
  HeaderTree tree = fake_tree(d.path / "headers");
  write(tree.build_dir / "Makefile", "modules:\n\tsleep 30\n");
  BuildGridOptions o;
  o.out = d.path / "out";
  o.timeout_s = 0.5;
  auto r = run_build_grid({{"k", "6.1.0-test-amd64", "kmod", fake_gcc(), tree, "", {}, nullptr}}, o);
  CHECK(r[0].verdict == BuildVerdict::Timeout);
  CHECK(r[0].reason == "build timed out after 0s (killed): make");
}

TEST_CASE("the plan: a spec naming {driver} runs once per artifact; else kgrid-probe's test; host tests for the rest") {
  std::vector<BuildOutcome> outs(3);
  outs[0] = {"k", "6.1.0-50-amd64", "mydrv", "gcc-12", BuildVerdict::Built, "", "/o/build/k/mydrv-gcc-12.ko", "/o/l1", 1, false, "kmod"};
  outs[1] = {"k", "6.1.0-50-amd64", "mydrv", "gcc-11", BuildVerdict::Timeout, "build timed out after 600s (killed)", "", "/o/l2", 600, false, "kmod"};
  outs[2] = {"k", "6.1.0-50-amd64", "mydrv", "gcc-14", BuildVerdict::BuildFail, "x.c:1: error: boom", "", "/o/l3", 1, false, "kmod"};
  KernelDriverTests t = tests_from_builds(outs, 45);
  CHECK(t.tests.empty());
  CHECK(t.external_driver == "mydrv");
  CHECK(t.external_artifacts == std::map<std::string, std::string>{{"gcc-12", "/kgrid/drivers/mydrv-gcc-12.ko"}});
  REQUIRE(t.files.size() == 1);
  CHECK(t.files[0].host == "/o/build/k/mydrv-gcc-12.ko");
  CHECK(t.files[0].guest == "/kgrid/drivers/mydrv-gcc-12.ko");
  REQUIRE(t.host_tests.size() == 2);
  CHECK(t.host_tests[0].name == "mydrv/gcc-11");
  CHECK(t.host_tests[0].verdict == Verdict::Timeout);
  CHECK(t.host_tests[0].reason == "build timed out after 600s (killed)");
  CHECK(t.host_tests[1].reason == "BUILD_FAIL: x.c:1: error: boom");
  CHECK(t.builds.at(1).verdict == Verdict::Timeout);

  kgrid::plan::Test other;
  other.name = "modern_bpf";
  other.probe = {"/kgrid/bin/kgrid-probe"};
  kgrid::plan::Test spec;
  spec.name = "load";
  spec.driver = "load";
  spec.probe = {"/kgrid/bin/kgrid-probe", "--driver", "kmod", "--module", "{driver}"};
  spec.gen = {"/kgrid/bin/gen", "--tag={compiler}:{driver}"};

  // No spec names {driver}: kgrid-probe's test of each artifact.
  auto plain = plan_with_driver_tests({{other}}, t);
  REQUIRE(plain.tests.size() == 2);
  CHECK(plain.tests[1].name == "mydrv/gcc-12");
  CHECK(plain.tests[1].driver == "mydrv");
  CHECK(plain.tests[1].probe == std::vector<std::string>{"/kgrid/bin/kgrid-probe", "--driver", "kmod", "--module",
                                                         "/kgrid/drivers/mydrv-gcc-12.ko"});
  CHECK(plain.tests[1].timeout_s == 45);

  // The spec, once per artifact, in its place.
  KernelDriverTests two = t;
  two.external_artifacts["clang-16"] = "/kgrid/drivers/mydrv-clang-16.ko";
  auto p = plan_with_driver_tests({{spec, other}}, two);
  REQUIRE(p.tests.size() == 3);
  CHECK(p.tests[0].name == "load/clang-16");
  CHECK(p.tests[1].name == "load/gcc-12");
  CHECK(p.tests[1].driver == "mydrv");
  CHECK(p.tests[1].probe.back() == "/kgrid/drivers/mydrv-gcc-12.ko");
  CHECK(p.tests[1].gen.back() == "--tag=gcc-12:/kgrid/drivers/mydrv-gcc-12.ko");
  CHECK(p.tests[2].name == "modern_bpf");

  // Nothing built on this kernel: the spec does not run (the host tests say why).
  KernelDriverTests none = t;
  none.external_artifacts.clear();
  CHECK(plan_with_driver_tests({{spec, other}}, none).tests.size() == 1);
  // No external driver at all: a SKIP that says what is missing.
  auto skipped = plan_with_driver_tests({{spec}}, KernelDriverTests{});
  REQUIRE(skipped.tests.size() == 1);
  CHECK(skipped.tests[0].skip.find("no driver is built for it (kgrid run --driver-src DIR --build-cmd CMD)") != std::string::npos);

  // After the VM: the compiler of each expanded test; the TIMEOUT cell makes the kernel TIMEOUT.
  kgrid::results::KernelResult k;
  k.verdict = Verdict::Pass;
  k.tests = {{"load/gcc-12", "mydrv", Verdict::Pass, "", {}, ""}, {"modern_bpf", "modern_bpf", Verdict::Pass, "", {}, ""}};
  merge_driver_results(k, t);
  CHECK(k.tests[0].compiler == "gcc-12");
  CHECK(k.tests[1].compiler == "");
  CHECK(k.verdict == Verdict::Timeout);
  CHECK(k.reason == "mydrv/gcc-11: build timed out after 600s (killed)");
}
