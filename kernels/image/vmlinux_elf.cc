#include "kernels/image/vmlinux_elf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "kernels/cache.h"

namespace kgrid::kernels {
namespace {

// ELF64 layout (the System V gABI).
constexpr size_t kEhdrSize = 64;
constexpr size_t kPhdrSize = 56;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kMaxPhnum = 128;       // a vmlinux has about five
constexpr uint64_t kMaxNoteBytes = 1 << 20;

uint64_t le(std::string_view b, size_t off, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[off + i]);
  return v;
}

uint64_t align4(uint64_t n) { return (n + 3) & ~uint64_t{3}; }

// Walks the notes of one PT_NOTE segment; sets `pvh` if the Xen
// PHYS32_ENTRY note is among them.
Status scan_notes(std::string_view notes, int segment, std::optional<uint32_t>& pvh) {
  size_t pos = 0;
  while (notes.size() - pos >= 12) {
    const uint64_t namesz = le(notes, pos, 4), descsz = le(notes, pos + 4, 4);
    const uint32_t type = static_cast<uint32_t>(le(notes, pos + 8, 4));
    const uint64_t name_at = pos + 12, desc_at = name_at + align4(namesz);
    if (desc_at > notes.size() || align4(descsz) > notes.size() - desc_at) {
      return make_error("note segment " + std::to_string(segment) + " has a note that runs past its end");
    }
    std::string_view name = notes.substr(name_at, namesz);
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    if (name == "Xen" && type == kXenElfNotePhys32Entry) {
      if (descsz != 4 && descsz != 8) {
        return make_error("the Xen PHYS32_ENTRY note has a " + std::to_string(descsz) +
                          "-byte value, expected 4 or 8");
      }
      const uint64_t entry = le(notes, desc_at, static_cast<int>(descsz));
      if (entry > UINT32_MAX) return make_error("the Xen PHYS32_ENTRY note points above 4 GiB");
      pvh = static_cast<uint32_t>(entry);
    }
    pos = desc_at + align4(descsz);
  }
  return ok_status();
}

}  // namespace

Result<VmlinuxElf> read_vmlinux_elf(const ReadAt& read_at, uint64_t size) {
  auto ehdr = read_at(0, kEhdrSize);
  if (!ehdr) return ehdr.error();
  const std::string& h = *ehdr;
  if (h.size() < 4 || h.compare(0, 4, "\x7f" "ELF") != 0) return make_error("not an ELF file");
  if (h.size() < kEhdrSize) return make_error("truncated ELF header");
  if (h[4] != 2) return make_error("32-bit ELF, not a 64-bit vmlinux");
  if (h[5] != 1) return make_error("big-endian ELF, not an x86-64 vmlinux");
  VmlinuxElf elf;
  elf.machine = static_cast<uint16_t>(le(h, 18, 2));
  if (le(h, 16, 2) != kEtExec) return make_error("ELF type " + std::to_string(le(h, 16, 2)) + ", not an executable");
  const uint64_t phoff = le(h, 32, 8);
  const uint64_t phentsize = le(h, 54, 2), phnum = le(h, 56, 2);
  if (phnum == 0) return make_error("ELF without program headers");
  if (phnum > kMaxPhnum) return make_error("ELF with " + std::to_string(phnum) + " program headers");
  if (phentsize != kPhdrSize) return make_error("ELF program header size " + std::to_string(phentsize));
  if (phoff > size || phnum * kPhdrSize > size - phoff) {
    return make_error("the ELF program headers run past the end of the file");
  }
  elf.file_end = phoff + phnum * kPhdrSize;
  const uint64_t shoff = le(h, 40, 8), shentsize = le(h, 58, 2), shnum = le(h, 60, 2);
  if (shoff != 0) {
    if (shoff > size || shnum * shentsize > size - shoff) {
      return make_error("the ELF section headers run past the end of the file");
    }
    elf.file_end = std::max(elf.file_end, shoff + shnum * shentsize);
  }

  auto phdrs = read_at(phoff, phnum * kPhdrSize);
  if (!phdrs) return phdrs.error();
  if (phdrs->size() != phnum * kPhdrSize) return make_error("short read of the ELF program headers");
  for (uint64_t i = 0; i < phnum; ++i) {
    const std::string_view p = std::string_view(*phdrs).substr(i * kPhdrSize, kPhdrSize);
    const uint32_t type = static_cast<uint32_t>(le(p, 0, 4));
    const uint64_t off = le(p, 8, 8), filesz = le(p, 32, 8), memsz = le(p, 40, 8);
    if (type != kPtLoad && type != kPtNote) continue;
    const int seg = static_cast<int>(i);
    if (off > size || filesz > size - off) {
      return make_error("ELF segment " + std::to_string(seg) + " runs past the end of the file (truncated?)");
    }
    elf.file_end = std::max(elf.file_end, off + filesz);
    if (type == kPtLoad) {
      if (memsz < filesz) return make_error("ELF segment " + std::to_string(seg) + " is smaller in memory than on file");
      elf.loaded_bytes += filesz;
      continue;
    }
    if (filesz > kMaxNoteBytes) return make_error("ELF note segment " + std::to_string(seg) + " is too large");
    auto notes = read_at(off, filesz);
    if (!notes) return notes.error();
    if (notes->size() != filesz) return make_error("short read of ELF note segment " + std::to_string(seg));
    if (auto st = scan_notes(*notes, seg, elf.pvh_entry); !st) return st.error();
  }
  if (elf.loaded_bytes == 0) return make_error("ELF without loadable segments");
  return elf;
}

Result<VmlinuxElf> read_vmlinux_elf(std::string_view data) {
  return read_vmlinux_elf(
      [data](uint64_t off, size_t n) -> Result<std::string> {
        if (off >= data.size()) return std::string();
        return std::string(data.substr(off, n));
      },
      data.size());
}

Result<VmlinuxElf> read_vmlinux_elf_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat", path);
  auto read_at = [&](uint64_t off, size_t n) -> Result<std::string> {
    std::string out(n, '\0');
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd.get(), out.data() + done, n - done, static_cast<off_t>(off + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno_error("cannot read", path);
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    out.resize(done);
    return out;
  };
  auto elf = read_vmlinux_elf(read_at, static_cast<uint64_t>(st.st_size));
  if (!elf) return make_error(path.string() + ": " + elf.error().message);
  return elf;
}

}  // namespace kgrid::kernels
