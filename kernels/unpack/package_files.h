// Reading whole packages: .deb (ar + data.tar.*) and RPM (lead + headers +
// cpio payload), both through libarchive, with the same hostile-entry rules
// as deb.h (absolute or ".." paths reject the package). Two uses:
//
//  - extract_kernel_files(): the kernel image and config of a package whose
//    layout is not known beforehand (a pinned URL: any distribution's
//    kernel package), found by path: boot/vmlinuz-*, boot/config-*,
//    [usr/]lib/modules/<release>/{vmlinuz,config}.
//  - unpack_package(): every file into a directory (kernel headers), with
//    symlinks rewritten to stay inside it: absolute targets become relative
//    to the directory, and a link that would still lead out of it rejects
//    the package.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/result.h"

namespace kgrid::kernels {

enum class PackageFormat { Deb, Rpm, Unknown };

// By the first bytes of the file: "!<arch>\n" or the RPM lead magic.
PackageFormat package_format(const std::filesystem::path& file);

struct KernelFiles {
  std::filesystem::path image;
  std::optional<std::filesystem::path> config;
  std::string image_path_in_package;  // "boot/vmlinuz-6.1.0-50-amd64"
};

// Writes <dest_dir>/vmlinuz (and <dest_dir>/config when the package has one).
Result<KernelFiles> extract_kernel_files(const std::filesystem::path& package, const std::filesystem::path& dest_dir);

struct UnpackStats {
  uint64_t files = 0, bytes = 0, symlinks = 0, rewritten_symlinks = 0;
};

// Unpacks every entry below `root` (created if needed), adding to `stats`.
Status unpack_package(const std::filesystem::path& package, const std::filesystem::path& root,
                      UnpackStats* stats = nullptr);

// The relative target that keeps a symlink at `link_path` (relative to the
// root) pointing at `absolute_target` inside the root:
// ("lib/modules/6.1/build", "/usr/src/x") -> "../../../usr/src/x".
std::string relative_link_target(const std::string& link_path, const std::string& absolute_target);

}  // namespace kgrid::kernels
