// How to build modules against assembled kernel headers on this machine:
// which compiler, which make variables, and whether kbuild's host tools can
// run here at all.
//
//  - CC: the compiler the kernel was built with (.kernelvariables: gcc-10,
//    gcc-12, gcc-14, gcc-16) when installed, else this machine's gcc (Debian's
//    6.1+ headers skip the compiler-version check; 5.10 accepts a newer gcc).
//  - CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT= when the config has it and the
//    compiler lacks -fmin-function-alignment (gcc < 14): kbuild then uses
//    -falign-functions.
//  - CONFIG_DEBUG_INFO_BTF_MODULES= when the config has it and pahole is
//    missing, or older than the CONFIG_PAHOLE_VERSION the kernel was built
//    with (kbuild chooses pahole's flags by that number).
//  - modules_ok = false, with the reason, when a kbuild host tool needs a
//    newer glibc than this machine's.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernels/headers/headers.h"
#include "util/process.h"

namespace kgrid::kernels {

struct BuildRecipe {
  std::string kernel_cc;                // "gcc-14": what the kernel was built with
  std::string cc;                       // what to use here
  std::vector<std::string> make_args;   // "CC=gcc-12", "CONFIG_...=": append to make -C <build dir>
  bool modules_ok = true;
  std::string reason;                   // why modules cannot be built here
  std::vector<std::string> notes;
};

// `cc` overrides the compiler choice (e.g. "clang" or "gcc-12").
BuildRecipe build_recipe(const KernelHeaders& headers, const std::string& cc = "");

// "CC = $(if ...) $(CROSS_COMPILE)gcc-12" in .kernelvariables -> "gcc-12".
std::string kernel_compiler(const std::filesystem::path& build_dir);

// "v1.24" -> 124, "1.30\n" -> 130 (kbuild's pahole-version.sh numbering); 0 if none.
int pahole_version_number(std::string_view text);

// The kbuild host tools (ELF files below `kbuild_dir`) that need a glibc
// newer than `host_glibc`, as "<relative path>" list, and the newest needed.
struct GlibcProblem {
  std::string needed;               // "2.38", "" when all fit
  std::vector<std::string> tools;   // "scripts/mod/modpost.real-...": the ones that do not fit
};
GlibcProblem kbuild_glibc_problem(const std::filesystem::path& kbuild_dir, const std::string& host_glibc);

// Builds a one-file test module in `work_dir` with the recipe:
// make -C <build dir> M=<work_dir> <make_args> modules. Returns make's result.
Result<ProcessResult> build_test_module(const KernelHeaders& headers, const BuildRecipe& recipe,
                                        const std::filesystem::path& work_dir);

}  // namespace kgrid::kernels
