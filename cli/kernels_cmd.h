// `kgrid kernels list|fetch|inspect|headers|build|gc`: the archive's catalog,
// fetching into the cache, image and config checks, kernel build dirs,
// kernels built from a source tree, and
// trimming the cache. Output is a table for people or --json for programs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kgrid::host {

struct KernelsOptions {
  std::vector<std::string> selectors;  // fetch: debian:<suite>/<pkg>, queries, ids, pinned URLs
  std::vector<std::string> files;      // inspect
  std::string config;                  // inspect --config
  std::string mirror;
  bool json = false;
  // list
  std::vector<std::string> suites, arches, flavors, series;
  unsigned newest = 0;
  // headers
  std::string id;
  std::string cc;
  bool check = false;
  // gc
  std::optional<size_t> keep;
  std::optional<double> max_age_days;
  bool dry_run = false;
  // build --src
  std::string src;
  std::string build_config = "minimal";
  std::vector<std::string> fragments;
  std::string out;
  unsigned jobs = 0;
};

int kernels_list(const KernelsOptions& options);
int kernels_fetch(const KernelsOptions& options);
int kernels_inspect(const KernelsOptions& options);
int kernels_headers(const KernelsOptions& options);
int kernels_gc(const KernelsOptions& options);
int kernels_build(const KernelsOptions& options);  // kernels_build_cmd.cc

// Registers `kgrid kernels ...` on the CLI and runs whichever was parsed.
class KernelsCommands {
 public:
  void add_to(CLI::App& app);
  std::optional<int> dispatch() const;  // the exit code, if a kernels command was given

 private:
  KernelsOptions options_;
  CLI::App *list_ = nullptr, *fetch_ = nullptr, *inspect_ = nullptr, *headers_ = nullptr, *gc_ = nullptr, *build_ = nullptr;
};

}  // namespace kgrid::host
