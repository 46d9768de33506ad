// The embedded driver sources are the files in probes/, byte for byte.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "probes/driver_sources.h"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("every embedded driver file equals its source in probes/") {
  REQUIRE(!kgrid::probe::kEmbeddedDriverFiles.empty());
  for (const auto& f : kgrid::probe::kEmbeddedDriverFiles) {
    INFO(f.path);
    CHECK(std::string(f.data) == slurp(std::filesystem::path(KGRID_SOURCE_DIR) / "probes" / std::string(f.path)));
  }
}

TEST_CASE("driver_files and write_driver_sources give one driver's files, flat") {
  auto kmod = kgrid::probe::driver_files("kmod");
  REQUIRE(kmod.size() == 3);
  CHECK(kmod[0].path == "Kbuild");
  CHECK(kgrid::probe::driver_files("bpf").size() == 3);
  CHECK(kgrid::probe::driver_files("nope").empty());

  auto dir = std::filesystem::temp_directory_path() / "kgrid-driver-sources-test";
  std::filesystem::remove_all(dir);
  REQUIRE(kgrid::probe::write_driver_sources("kmod", dir).ok());
  CHECK(slurp(dir / "kgrid_kmod.c").find("tracepoint_probe_register") != std::string::npos);
  CHECK(!kgrid::probe::write_driver_sources("nope", dir).ok());
  std::filesystem::remove_all(dir);
}
