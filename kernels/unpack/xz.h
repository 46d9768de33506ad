// xz decompression (liblzma), streamed in chunks so that a large Packages
// index never has to sit in memory whole.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

using ChunkSink = std::function<void(std::string_view)>;

// Decompresses an .xz file, handing each decompressed chunk to `sink`.
Status xz_decompress_file(const std::filesystem::path& path, const ChunkSink& sink);

// Decompresses an .xz buffer.
Result<std::string> xz_decompress(std::string_view data);

}  // namespace kgrid::kernels
