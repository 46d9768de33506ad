// Test helpers for the vmlinux tests (not part of the library): a synthetic
// x86-64 ELF vmlinux with or without the PVH note, the kernel build's
// payload compressions, and a bzImage around a real payload.
#pragma once

#include <string>
#include <string_view>

namespace kgrid::kernels::testing {

struct ElfSpec {
  bool pvh = true;
  size_t pvh_desc_bytes = 8;   // Linux writes the entry as a 64-bit value
  uint32_t pvh_entry = 0x1000000 + 0x1e0;
  size_t load_bytes = 300000;  // one PT_LOAD segment of pseudo-random bytes
  uint16_t machine = 62;
};

// An ELF64 executable: header, two program headers (PT_LOAD, PT_NOTE with a
// GNU build-id note and, if asked, the Xen PHYS32_ENTRY note), no sections.
std::string make_elf(const ElfSpec& spec = {});

// `data` compressed as the kernel build does for `format` (gzip, xz, zstd,
// lz4 legacy frames, lzma, bzip2), with the 32-bit size appended except for
// gzip, whose own trailer holds it.
std::string kernel_compress(std::string_view format, std::string_view data);

// A bzImage (boot protocol 2.15) whose payload is `payload`.
std::string make_bzimage_with_payload(std::string_view version, std::string_view payload);

}  // namespace kgrid::kernels::testing
