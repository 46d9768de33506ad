// An external driver: the user's own source tree and build command
// (kgrid build/run --driver-src DIR --build-cmd CMD), built by the compile
// grid for every kernel x compiler like the reference drivers.
//
// Each cell builds in its own copy of DIR (SRC), so cells run in parallel
// and DIR is never written. CMD runs with /bin/sh -c in SRC, with the cell's
// kernel and compiler in its environment (external_build_env()); the
// artifact is the one file matching --artifact (a glob relative to OUT, or,
// when OUT has none, a file the build made in SRC).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "compile/types.h"

namespace kgrid::host {

// As given on the command line.
struct ExternalDriverOptions {
  std::filesystem::path src;  // --driver-src DIR
  std::string cmd;            // --build-cmd CMD
  std::string name;           // --driver-name NAME; default: DIR's name
  std::string kind;           // --driver-kind kmod|bpf; default: kmod
  std::string artifact;       // --artifact PATTERN; default: *.ko (kmod), *.o (bpf)

  bool given() const { return !src.empty() || !cmd.empty() || !name.empty() || !kind.empty() || !artifact.empty(); }
};

// One entry of a source tree, relative to its root.
struct TreeEntry {
  enum class Type { File, Dir, Symlink };
  std::filesystem::path rel;
  Type type = Type::File;
  bool exec = false;                // files: the owner may execute it
  std::filesystem::path link;       // symlinks: the target, as written
};

// A checked external driver, ready to build.
struct ExternalDriver {
  std::filesystem::path src;  // absolute
  std::string cmd;
  std::string name;
  std::string kind;           // kmod or bpf
  std::string artifact;       // the glob
  std::vector<TreeEntry> tree;  // what each cell copies: DIR without .git and without OUT
  std::string tree_hash;        // sha256 over tree's names, modes, contents and link targets
};

// Checks the options without reading the tree: DIR is a directory, CMD is
// not blank, the name, kind and pattern are usable. Fills in the defaults.
Result<ExternalDriverOptions> check_external_options(const ExternalDriverOptions& options);

// check_external_options(), then lists and hashes the tree. `out` (the run's
// OUT) is left out of the tree when it is inside DIR.
Result<ExternalDriver> prepare_external_driver(const ExternalDriverOptions& options, const std::filesystem::path& out);

// Every entry below `root`, sorted, except .git (directory or file) and the
// paths in `exclude` (absolute). Special files (fifos, sockets, devices) are
// left out.
Result<std::vector<TreeEntry>> list_source_tree(const std::filesystem::path& root,
                                                const std::vector<std::filesystem::path>& exclude);

// The hash of the entries: names, types, exec bits, contents, link targets.
Result<std::string> hash_source_tree(const std::filesystem::path& root, const std::vector<TreeEntry>& tree);

// Copies the entries from `root` into `dest` (created), symlinks as symlinks.
Status copy_source_tree(const std::filesystem::path& root, const std::vector<TreeEntry>& tree,
                        const std::filesystem::path& dest);

// The regular files below `dir` whose path relative to `dir` matches the
// glob `pattern` (fnmatch, '/' matched only by '/', so "*.ko" looks only at
// the top level and "build/*.ko" one level down), sorted.
std::vector<std::filesystem::path> match_artifacts(const std::filesystem::path& dir, const std::string& pattern);

// Whether `file` is an ELF relocatable object for the driver's kind: a BPF
// object (EM_BPF) for bpf, anything else for kmod. Empty if so, else why not.
std::string check_artifact_kind(const std::filesystem::path& file, const std::string& kind);

// The environment of CMD, "NAME=value" (documented in README.md):
//   KERNEL_DIR       the kernel's prepared build dir (make -C "$KERNEL_DIR")
//   KERNEL_SRC       its source tree (Debian's -common headers; = KERNEL_DIR otherwise)
//   KERNEL_RELEASE   6.1.0-50-amd64
//   KERNEL_ID        debian-bookworm-6.1.0-50-amd64
//   ARCH             kbuild's arch: x86, arm64
//   CC               the cell's compiler, absolute (/usr/bin/gcc-12, /usr/bin/clang-16)
//   CLANG, LLC       clang cells only: clang-N and llc-N, absolute
//   COMPILER         the compiler's name: gcc-12, clang-16
//   KGRID_MAKE_ARGS  kbuild variables this machine needs (CC=..., CONFIG_...=), for make's command line
//   KERNEL_INCLUDES  the kernel's -I flags in kbuild's order and -include kconfig.h (for BPF objects)
//   SRC              the cell's copy of DIR (CMD's working directory)
//   OUT              an empty directory for the artifact
//   DRIVER_NAME      --driver-name
std::vector<std::string> external_build_env(const ExternalDriver& driver, const std::string& kernel_id,
                                            const HeaderTree& tree, const Compiler& compiler,
                                            const std::filesystem::path& src, const std::filesystem::path& out);

}  // namespace kgrid::host
