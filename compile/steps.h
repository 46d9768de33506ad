// How one cell of the compile grid is built: the commands (argv, no shell)
// for a driver against a header tree with a compiler, and the line of a
// failed build's log that says why.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "compile/types.h"

namespace kgrid::host {

struct BuildStep {
  std::vector<std::string> argv;
};

struct BuildRecipe {
  std::vector<BuildStep> steps;    // run in order in the work dir; the first failure stops
  std::filesystem::path artifact;  // what the last step leaves behind, in the work dir
  std::string extension;           // ".ko" or ".o"
};

// The recipe for a built-in driver ("kmod" with gcc, "bpf" with clang)
// whose sources are in `work`.
Result<BuildRecipe> recipe_for(const std::string& driver, const HeaderTree& tree, const Compiler& compiler,
                               const std::filesystem::path& work);

// kmod: make -C <build dir> M=<work> <vars> modules.
BuildRecipe kmod_recipe(const HeaderTree& tree, const Compiler& compiler, const std::filesystem::path& work);

// bpf: the classic pipeline, as two steps so both exit codes count:
// clang -emit-llvm (host target, the kernel's include path, kconfig.h)
// writes kgrid_legacy.bc, then llc -march=bpf writes kgrid_legacy.o.
BuildRecipe bpf_recipe(const HeaderTree& tree, const Compiler& compiler, const std::filesystem::path& work);

// The kernel's include directories in kbuild's order (LINUXINCLUDE), for
// the tree's arch.
std::vector<std::string> kernel_include_flags(const HeaderTree& tree);

// The line of a build log that best says why the build failed: the first
// compiler error, else the first ERROR (modpost), else make's "***" line,
// else the last line. `work` is removed from paths to keep it short.
std::string first_error_line(std::string_view log, const std::filesystem::path& work);

}  // namespace kgrid::host
