// The sources of the drivers that are built per kernel ("kmod" and "bpf"),
// embedded in kgrid when kgrid itself is built, so that `kgrid build` needs
// no source tree at run time.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::probe {

struct EmbeddedFile {
  std::string_view path;  // relative to probes/, e.g. "kmod/kgrid_kmod.c"
  std::string_view data;
};

// Every embedded file, in the order probes/CMakeLists.txt lists them.
extern const std::vector<EmbeddedFile> kEmbeddedDriverFiles;

// The drivers kgrid can build per kernel.
inline constexpr std::string_view kBuiltDrivers[] = {"kmod", "bpf"};

// The files of one driver ("kmod" -> kmod/*), without the directory part.
std::vector<EmbeddedFile> driver_files(std::string_view driver);

// Writes the driver's files into `dir` (created if needed), unchanged.
Status write_driver_sources(std::string_view driver, const std::filesystem::path& dir);

}  // namespace kgrid::probe
