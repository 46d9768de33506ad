// Small file primitives for the packer: an RAII file descriptor, whole-file
// reads, and atomic writes (temp file in the target's directory, fsync,
// rename), so a crash or a concurrent kgrid never leaves a partial file.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kgrid::packer {

using UniqueFd = kgrid::UniqueFd;

Result<std::string> read_file(const std::filesystem::path& path);

// Writes the concatenation of `parts` to `path` atomically, mode 0644.
// The parent directory must exist.
Status write_file_atomic(const std::filesystem::path& path,
                         std::initializer_list<std::string_view> parts);

}  // namespace kgrid::packer
