// Debian package version ordering ([epoch:]upstream[-revision]), as dpkg
// defines it: "~" sorts before everything, even the end of the string.
#pragma once

#include <string_view>

namespace kgrid::kernels {

// <0, 0 or >0 as a is older than, equal to or newer than b.
int compare_debian_versions(std::string_view a, std::string_view b);

}  // namespace kgrid::kernels
