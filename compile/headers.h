// Where a kernel's headers come from for the compile grid, and how to drive
// kbuild with them: Debian kernels get theirs from the kernels cache
// (kernels/headers/headers.h: downloaded, verified, paths fixed, a backports kbuild
// when this machine's glibc is too old); --headers DIR and
// /lib/modules/<release>/build serve any other kernel.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "compile/types.h"
#include "sweep/kernel_set.h"

namespace kgrid::host {

struct HeadersOptions {
  // --headers DIR: DIR/<release> (or DIR/<kernel id>) is a ready build dir.
  std::filesystem::path dir;
  std::string mirror;
};

// The header tree for `kernel`: from --headers DIR, else (a Debian kernel)
// the kernels cache, else /lib/modules/<release>/build. The tree's
// kbuild_skip says whether kbuild's host tools can run on this machine.
Result<HeaderTree> header_tree_for(const ResolvedKernel& kernel, const HeadersOptions& options);

// A header tree rooted at an existing build dir: srctree from its Makefile
// ("include <srctree>/Makefile", Debian's split packages) or the dir itself;
// kbuild_dir where its scripts/ really are.
Result<HeaderTree> header_tree_at(const std::filesystem::path& build_dir, const std::string& release);

// The make variables for building a module in `tree` with `compiler`
// (kernels/headers/headers_toolchain.h: CC, and switching off what this compiler or
// machine cannot do, such as -fmin-function-alignment before gcc 14).
std::vector<std::string> kbuild_make_vars(const HeaderTree& tree, const Compiler& compiler);

}  // namespace kgrid::host
