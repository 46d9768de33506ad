// Inspection of a kernel image file: x86 bzImage (boot protocol header),
// arm64 Image (minimal) and ELF vmlinux. Reads only the bytes it needs.
#pragma once

#include <filesystem>
#include <string>

#include "common/result.h"

namespace kgrid::kernels {

struct KernelImage {
  std::filesystem::path path;
  std::string arch;         // "x86_64" or "arm64"
  std::string format;       // "bzImage", "Image" or "elf"
  std::string version;      // "6.1.0-50-amd64 (debian-kernel@...) #1 SMP ..."
  std::string release;      // first word of version: "6.1.0-50-amd64"
  std::string compression;  // bzImage payload: gzip, xz, zstd, lz4, lzma, bzip2,
                            // "unknown"; "none" for Image and elf
  unsigned boot_protocol = 0;  // bzImage only, e.g. 0x020f
};

// Fails with a message naming the file and what is wrong (not a kernel,
// truncated, no version string, ...).
Result<KernelImage> inspect_image(const std::filesystem::path& path);

// The compression named by the magic at the start of `data`, or "unknown".
std::string compression_from_magic(std::string_view data);

}  // namespace kgrid::kernels
