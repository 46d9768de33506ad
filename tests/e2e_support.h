// Helpers for end-to-end tests: run the real kgrid binary on real kernels
// (fetched once into the user's cache) and read what it wrote.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "results/results.h"

namespace kgrid::e2e {

struct Command {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs build/bin/kgrid with args; output captured. `env` ("NAME=value")
// is added to its environment.
Command run_kgrid(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// A fresh output directory under the build tree, removed at exit.
class OutDir {
 public:
  explicit OutDir(const std::string& name);
  ~OutDir();
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The image path of a Debian kernel, fetched through `kgrid kernels fetch`.
std::string fetch_kernel(const std::string& selector);

results::RunResults read_results(const std::filesystem::path& out);

// A whole file's bytes ("" if it cannot be read).
std::string slurp(const std::filesystem::path& path);

// The kernel's test named `name` ("kmod/gcc-12", "modern_bpf"); nullptr if none.
const results::TestResult* find_test(const results::KernelResult& k, const std::string& name);

// QEMU processes whose command line mentions `needle`.
int count_processes_mentioning(const std::string& needle);

}  // namespace kgrid::e2e
