// Which compilers the compile grid uses: every versioned gcc-N and clang-N
// (clang only with its llc-N) found in $PATH, or the ones the user named.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "compile/types.h"

namespace kgrid::host {

// The directories of $PATH.
std::vector<std::filesystem::path> path_dirs_from_env();

// Every gcc-N and clang-N (+ llc-N) executable in `dirs`, first match of a
// name wins; sorted gcc before clang, then by version.
std::vector<Compiler> find_compilers(const std::vector<std::filesystem::path>& dirs);

// "gcc-12" -> {gcc, 12}; an error for anything else.
Result<Compiler> parse_compiler_name(const std::string& name);

// `names` empty: all of `found`. Otherwise each name must be one of `found`;
// the error says which are available.
Result<std::vector<Compiler>> select_compilers(const std::vector<std::string>& names,
                                               const std::vector<Compiler>& found);

}  // namespace kgrid::host
