// Reads the little that kgrid needs from an x86-64 ELF vmlinux: that it is
// a loadable 64-bit executable whose segments lie inside the file, and its
// PVH entry point, the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (name "Xen",
// type 18) in a PT_NOTE segment. QEMU boots such a vmlinux directly
// (`-kernel vmlinux` on the pc machine), skipping the bzImage decompressor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

inline constexpr uint32_t kXenElfNotePhys32Entry = 18;

struct VmlinuxElf {
  uint16_t machine = 0;                // 62 = x86_64
  uint64_t loaded_bytes = 0;           // sum of PT_LOAD file sizes
  uint64_t file_end = 0;               // last byte any header or segment needs
  std::optional<uint32_t> pvh_entry;   // physical 32-bit entry, when the note is there
};

// Reads `n` bytes at `offset`; may return fewer at the end of the data.
using ReadAt = std::function<Result<std::string>(uint64_t offset, size_t n)>;

// Checks the ELF header, program headers and notes. `size` is the size of
// the whole file. Errors say what is wrong ("not an ELF file", "segment 3
// runs past the end of the file", ...).
Result<VmlinuxElf> read_vmlinux_elf(const ReadAt& read_at, uint64_t size);

// The same, for bytes in memory and for a file (read with pread, only the
// headers and notes).
Result<VmlinuxElf> read_vmlinux_elf(std::string_view data);
Result<VmlinuxElf> read_vmlinux_elf_file(const std::filesystem::path& path);

}  // namespace kgrid::kernels
