#include "testrunner/kconfig.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>

using namespace kgrid::testrunner;

TEST_CASE("config lines parse; comments and 'is not set' are skipped") {
  auto v = parse_kernel_config("#\n# CONFIG_X is not set\nCONFIG_BPF=y\nCONFIG_HZ=250\nCONFIG_S=\"a b\"\n");
  CHECK(v.size() == 3);
  CHECK(v.at("CONFIG_BPF") == "y");
  CHECK(v.at("CONFIG_S") == "\"a b\"");
  CHECK(v.count("CONFIG_X") == 0);
}

TEST_CASE("a gzip'd config reads back; missing files and junk are errors") {
  std::filesystem::path path = std::filesystem::temp_directory_path() / "kgrid-kconfig-test.gz";
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  gzputs(f, "CONFIG_BPF_SYSCALL=y\nCONFIG_KPROBES=m\n");
  gzclose(f);
  auto config = read_kernel_config(path.c_str());
  REQUIRE(config.ok());
  CHECK(config->at("CONFIG_KPROBES") == "m");
  std::filesystem::remove(path);

  CHECK_FALSE(read_kernel_config("/nonexistent/config.gz").ok());
  CHECK_FALSE(gunzip("not gzip at all").ok());
}
