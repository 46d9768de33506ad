// Grid files: the TOML list of kernels a sweep runs (kernels/*.toml).
//
//   [[kernel]]
//   debian = "bookworm/linux-image-amd64"   # a Debian package, followed to its image
//   [[kernel]]
//   path = "images/vmlinuz-6.1.0"           # a local image, relative to the grid file
//   [[kernel]]
//   dir = "images/"                          # every kernel image in a directory
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::host {

struct KernelRef {
  enum class Kind { Debian, File, Dir };
  Kind kind = Kind::File;
  std::string value;  // "debian:<suite>/<package>" or a path
};

Result<std::vector<KernelRef>> load_grid(const std::filesystem::path& file);
Result<std::vector<KernelRef>> parse_grid(std::string_view text, const std::filesystem::path& base_dir,
                                          const std::string& name);

}  // namespace kgrid::host
