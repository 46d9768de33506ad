// `kgrid kernels build --src`: builds an x86_64 kernel from a Linux source
// tree, out of tree (the tree is never written to), into a directory the
// grid can use directly:
//
//   OUT/vmlinuz-<release>        the bzImage     (kgrid run --kernels OUT)
//   OUT/config-<release>         its .config     (found beside the image)
//   OUT/headers/<release>        -> ../build      (kgrid build --headers OUT/headers)
//   OUT/build/                   make's O= directory, a complete module build dir
//   OUT/build.log, OUT/meta.json
//
// The config is "minimal" (allnoconfig plus kgrid's fragment, see
// source_config.h), "defconfig" (plus the same fragment), or a full .config
// file; --fragment files go on top. Options that kconfig dropped are
// reported, and a config that kgrid's preflight says cannot boot is refused
// before the (long) build starts.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::kernels {

struct SourceBuildOptions {
  std::filesystem::path src;                     // the Linux source tree
  std::string config = "minimal";                // "minimal", "defconfig" or a .config path
  std::vector<std::filesystem::path> fragments;  // applied on top, in order
  std::filesystem::path out;                     // empty: <cache>/source-builds/<tree name>-<config>
  std::string cc;                                // e.g. "gcc-12"; empty: make's default
  unsigned jobs = 0;                             // 0: the number of cores
  std::chrono::seconds timeout{std::chrono::hours(6)};
  std::function<void(const std::string&)> log;  // progress lines
};

struct SourceBuild {
  std::string release;                // "6.1.192-kgrid"
  std::filesystem::path out, image, config, headers, build_dir, log;
  double config_s = 0, build_s = 0;
  std::vector<std::string> warnings;  // dropped options, preflight SKIP predictions
};

Result<SourceBuild> build_from_source(const SourceBuildOptions& options);

// The first line of a make log that looks like the cause of the failure
// ("error:", "Error ", "No rule to make target", "*** ..."), or its last
// non-empty line. For error messages.
std::string make_failure_line(std::string_view log);

// A tree has to look like Linux: Makefile, Kconfig and arch/x86/.
Status check_linux_tree(const std::filesystem::path& src);

}  // namespace kgrid::kernels
