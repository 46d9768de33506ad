// Grid files: the TOML list of kernels a sweep runs (kernels/*.toml). Each
// [[kernel]] table has exactly one of:
//
//   debian = "bookworm/linux-image-amd64"     a Debian package (metapackages are followed)
//   select = { suite = "trixie", series = "6.12", flavor = "*", newest = 2, arch = "amd64" }
//                                             kernels from the archive's catalog (kernels/debian/query.h)
//   url = "https://host/bzImage", sha256 = "<64 hex>"
//                                             a pinned download: a bzImage, a .deb or an RPM
//   path = "images/vmlinuz-6.1.0"             a local image, relative to the grid file
//   dir = "images/"                           every kernel image in a directory
//
// select keys: suite (required; a name, a list, or "*" for the default
// suites), arch (default "amd64"; "*" for amd64 and arm64), flavor (default
// "*": generic, cloud, rt, ...), series (default "*"; strings such as "6.1"),
// newest (default 0 = every ABI; N = the N newest ABIs of each suite,
// arch, flavor and series). Lists are TOML arrays of strings.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::host {

struct KernelRef {
  enum class Kind { Debian, Select, Url, File, Dir };
  Kind kind = Kind::File;
  // "debian:<suite>/<package>", a query "debian:<suites>?arch=..&series=..",
  // "<url>#sha256=<hex>", or a path: the names `kgrid run` also takes.
  std::string value;
};

Result<std::vector<KernelRef>> load_grid(const std::filesystem::path& file);

// What a command boots or builds: its --kernel values, then the grid file's
// entries (no grid file: none). An error if the grid cannot be read, or if
// nothing is left ("no kernels given (use <usage>)").
Result<std::vector<std::string>> kernel_sources(const std::vector<std::string>& kernels,
                                                const std::filesystem::path& grid_file, std::string_view usage);
Result<std::vector<KernelRef>> parse_grid(std::string_view text, const std::filesystem::path& base_dir,
                                          const std::string& name);

}  // namespace kgrid::host
