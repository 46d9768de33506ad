#include "kernels/source/source_build.h"

#include <doctest/doctest.h>

#include "kernels/cache.h"

using namespace kgrid;
using namespace kgrid::kernels;
namespace fs = std::filesystem;

TEST_CASE("make_failure_line: the compiler's error, not make's summary") {
  std::string log =
      "  CC      kernel/fork.o\n"
      "kernel/fork.c:12:1: error: expected ';' before 'int'\n"
      "make[2]: *** [scripts/Makefile.build:250: kernel/fork.o] Error 1\n"
      "make: *** [Makefile:2012: .] Error 2\n";
  CHECK(make_failure_line(log) == "kernel/fork.c:12:1: error: expected ';' before 'int'");
  CHECK(make_failure_line("make: *** No rule to make target 'bzImage'.  Stop.\n") ==
        "make: *** No rule to make target 'bzImage'.  Stop.");
  CHECK(make_failure_line("  LD vmlinux\nmake: *** [Makefile:1] Error 1\n\n") == "make: *** [Makefile:1] Error 1");
  CHECK(make_failure_line("just\nlast line\n") == "last line");
}

TEST_CASE("check_linux_tree: not a tree, or a tree configured in place") {
  TempPath dir(temp_path_for(fs::temp_directory_path() / "kgrid-srctree"));
  REQUIRE(make_dirs(dir.path() / "arch/x86").ok());
  REQUIRE(make_dirs(dir.path() / "scripts/kconfig").ok());
  auto missing = check_linux_tree(dir.path());
  REQUIRE(!missing.ok());
  CHECK(missing.error().message.find("not a Linux source tree (no Makefile)") != std::string::npos);
  for (const char* f : {"Makefile", "Kconfig", "arch/x86/Kconfig"}) REQUIRE(write_file_atomic(dir.path() / f, "").ok());
  CHECK(check_linux_tree(dir.path()).ok());
  REQUIRE(write_file_atomic(dir.path() / ".config", "CONFIG_A=y\n").ok());
  auto configured = check_linux_tree(dir.path());
  REQUIRE(!configured.ok());
  CHECK(configured.error().message.find("make mrproper") != std::string::npos);
  CHECK(!check_linux_tree(dir.path() / "nope").ok());
}

TEST_CASE("build_from_source refuses a directory that is not a kernel tree before running anything") {
  SourceBuildOptions o;
  o.src = fs::temp_directory_path();
  o.out = fs::temp_directory_path() / "kgrid-never-created";
  auto r = build_from_source(o);
  REQUIRE(!r.ok());
  CHECK(r.error().message.find("not a Linux source tree") != std::string::npos);
  CHECK(!fs::exists(o.out));
}
