// Helpers shared by the compile grid's unit tests (build_test.cc,
// build_external_test.cc): a scratch directory, file writing and reading,
// and a stand-in compiler.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "compile/compilers.h"

namespace kgrid::host::testing {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("kgrid-build-test-" + name + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline void write(const std::filesystem::path& p, const std::string& text, bool exec = false) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  if (exec) std::filesystem::permissions(p, std::filesystem::perms::owner_all, std::filesystem::perm_options::add);
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "gcc-12" that runs /bin/true.
inline Compiler fake_gcc() {
  Compiler c;
  c.name = "gcc-12";
  c.family = "gcc";
  c.version = 12;
  c.cc = "/bin/true";
  c.version_text = "gcc-12 (fake)";
  return c;
}

}  // namespace kgrid::host::testing
