// Which glibc an ELF program needs: the highest GLIBC_x.y symbol version in
// its .gnu.version_r section. kbuild's host tools (modpost, objtool, ...)
// from a newer Debian need a newer glibc than this machine may have.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace kgrid::kernels {

// "2.38", or "" for a non-ELF file or one that needs no versioned glibc.
std::string glibc_needed(const std::filesystem::path& file);

// "2.36" < "2.38" < "2.100": numeric per component (<0, 0, >0).
int compare_glibc_versions(std::string_view a, std::string_view b);

// This process's glibc: "2.36".
std::string this_glibc();

}  // namespace kgrid::kernels
