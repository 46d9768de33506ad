// The uncompressed vmlinux inside an x86 bzImage, and the choice of what
// QEMU boots.
//
// Under TCG a distro bzImage spends about half of its boot decompressing
// its own payload in emulated code. kgrid decompresses it once on the host
// instead, caches the ELF vmlinux under
//
//   <cache>/vmlinux/<sha256 of the bzImage>.elf     (atomic write)
//   <cache>/vmlinux/<sha256 of the bzImage>.nopvh   (kernel has no PVH entry)
//
// and, when the kernel has a PVH entry note (CONFIG_PVH, which Debian
// enables), boots the ELF directly: QEMU's pc machine loads it and jumps to
// the PVH entry. The kernel, initramfs and command line are the same either
// way; only the decompressor and the real-mode setup are skipped.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kernels/image/vmlinux_elf.h"

namespace kgrid::kernels {

enum class BootMode {
  Auto,     // PVH when the kernel supports it, the image as given otherwise
  BzImage,  // always the image as given
  Pvh,      // always PVH; an error for a kernel without the PVH note
};

// "auto", "bzimage" or "pvh".
Result<BootMode> parse_boot_mode(std::string_view text);

struct ExtractedVmlinux {
  std::string elf;           // the vmlinux, trimmed to what its headers describe
  VmlinuxElf info;
  std::string compression;   // of the payload: xz, zstd, ...
  uint64_t payload_bytes = 0;
};

// Decompresses a bzImage's payload and checks that it is an x86-64 ELF
// whose segments are all there. Errors name the file.
Result<ExtractedVmlinux> extract_vmlinux(const std::filesystem::path& bzimage);

struct BootImage {
  std::filesystem::path path;  // what QEMU's -kernel gets
  std::string mode;            // "pvh", "bzimage", or "image" (arm64 Image, ELF without the PVH note)
  std::string why;             // why auto did not choose PVH; empty otherwise
  bool extracted = false;      // this call decompressed the payload (a cache miss)
  double extract_s = 0;        // and how long that took
};

// What to boot for `image` in `mode`. `cache_dir` empty means cache_dir().
// In auto mode, anything that stops the PVH path (no note, an unusual
// payload, an unwritable cache) gives the image itself with a reason in
// `why`; in pvh mode it is an error.
Result<BootImage> choose_boot_image(const std::filesystem::path& image, BootMode mode,
                                    const std::filesystem::path& cache_dir = {});

// choose_boot_image() for many images on up to `threads` threads (a cold
// cache decompresses each kernel once; each thread holds one vmlinux, about
// 60 MiB, in memory). The results are in the order of `images`.
std::vector<Result<BootImage>> choose_boot_images(const std::vector<std::filesystem::path>& images,
                                                  BootMode mode, size_t threads,
                                                  const std::filesystem::path& cache_dir = {});

}  // namespace kgrid::kernels
