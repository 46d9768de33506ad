// kgrid's version, from project() in the top CMakeLists.txt: the one place it is written.
#pragma once

namespace kgrid {

inline constexpr const char* kVersion = KGRID_VERSION;

}  // namespace kgrid
