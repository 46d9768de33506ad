// Decompresses an x86 bzImage payload (the kernel's compressed vmlinux) on
// the host with the usual libraries: gzip (zlib), xz and lzma (liblzma),
// zstd (libzstd), lz4 legacy frames (liblz4) and bzip2 (libbz2).
//
// The kernel build appends the uncompressed size as a little-endian 32-bit
// number to every payload (for gzip it is the stream's own ISIZE trailer);
// the boot decompressor relies on it and so does this code: the output
// must have exactly that size, which catches truncated and corrupt
// payloads that a decoder alone might let through.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

// The largest vmlinux kgrid will decompress (a distro vmlinux is < 100 MiB).
inline constexpr uint64_t kMaxVmlinuxBytes = uint64_t{1} << 30;

// `format` is one of the names compression_from_magic() returns: gzip, xz,
// zstd, lz4, lzma or bzip2. Errors name the format and what went wrong
// ("xz: the payload ends too early (truncated?)").
Result<std::string> decompress_payload(std::string_view payload, std::string_view format);

// The size a payload says it decompresses to (its last four bytes).
Result<uint32_t> payload_trailer_size(std::string_view payload);

}  // namespace kgrid::kernels
