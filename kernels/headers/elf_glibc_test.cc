#include "kernels/headers/elf_glibc.h"

#include <doctest/doctest.h>

#include "kernels/testing.h"

using namespace kgrid::kernels;

TEST_CASE("glibc versions compare numerically") {
  CHECK(compare_glibc_versions("2.36", "2.38") < 0);
  CHECK(compare_glibc_versions("2.38", "2.36") > 0);
  CHECK(compare_glibc_versions("2.4", "2.34") < 0);
  CHECK(compare_glibc_versions("2.34", "2.34") == 0);
  CHECK(compare_glibc_versions("2.2.5", "2.2") > 0);
}

TEST_CASE("the glibc a program needs is read from its ELF version needs") {
  // This test binary links glibc dynamically: it needs at least 2.2.5 and
  // at most this machine's glibc.
  std::string need = glibc_needed("/proc/self/exe");
  REQUIRE_FALSE(need.empty());
  CHECK(compare_glibc_versions(need, "2.2.5") >= 0);
  CHECK(compare_glibc_versions(need, this_glibc()) <= 0);
  testing::ScratchDir dir;
  testing::write_file(dir.path() / "text", "#!/bin/sh\n");
  CHECK(glibc_needed(dir.path() / "text").empty());
  testing::write_file(dir.path() / "short", "\x7f" "ELF\x02\x01");
  CHECK(glibc_needed(dir.path() / "short").empty());
}
