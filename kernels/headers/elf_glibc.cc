#include "kernels/headers/elf_glibc.h"

#include <elf.h>
#include <gnu/libc-version.h>

#include <charconv>
#include <cstring>

#include "kernels/cache.h"

namespace kgrid::kernels {
namespace {

template <class T>
bool read_at(std::string_view data, uint64_t offset, T* out) {
  if (offset > data.size() || data.size() - offset < sizeof(T)) return false;
  std::memcpy(out, data.data() + offset, sizeof(T));
  return true;
}

void take_max(std::string& best, std::string_view candidate) {
  if (best.empty() || compare_glibc_versions(candidate, best) > 0) best = std::string(candidate);
}

}  // namespace

int compare_glibc_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    unsigned long x = 0, y = 0;
    auto ra = std::from_chars(a.data(), a.data() + a.size(), x);
    auto rb = std::from_chars(b.data(), b.data() + b.size(), y);
    if (x != y) return x < y ? -1 : 1;
    a.remove_prefix(static_cast<size_t>(ra.ptr - a.data()));
    b.remove_prefix(static_cast<size_t>(rb.ptr - b.data()));
    if (!a.empty() && a.front() == '.') a.remove_prefix(1);
    if (!b.empty() && b.front() == '.') b.remove_prefix(1);
    if (ra.ec != std::errc() && rb.ec != std::errc()) break;  // both at something non-numeric
  }
  return 0;
}

std::string this_glibc() { return gnu_get_libc_version(); }

std::string glibc_needed(const std::filesystem::path& file) {
  auto content = read_file(file);
  if (!content) return "";
  std::string_view elf = *content;
  Elf64_Ehdr eh;
  if (!read_at(elf, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr))
    return "";
  std::string best;
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!read_at(elf, eh.e_shoff + uint64_t{i} * sizeof sh, &sh)) return "";
    if (sh.sh_type != SHT_GNU_verneed) continue;
    Elf64_Shdr strtab;
    if (sh.sh_link >= eh.e_shnum || !read_at(elf, eh.e_shoff + uint64_t{sh.sh_link} * sizeof strtab, &strtab)) return "";
    uint64_t need_off = sh.sh_offset;
    for (unsigned n = 0; n < sh.sh_info && n < 1024; ++n) {
      Elf64_Verneed vn;
      if (!read_at(elf, need_off, &vn)) break;
      uint64_t aux_off = need_off + vn.vn_aux;
      for (unsigned j = 0; j < vn.vn_cnt && j < 1024; ++j) {
        Elf64_Vernaux va;
        if (!read_at(elf, aux_off, &va)) break;
        uint64_t name_off = strtab.sh_offset + va.vna_name;
        if (va.vna_name < strtab.sh_size && name_off < elf.size()) {
          std::string_view name = elf.substr(name_off);
          name = name.substr(0, name.find('\0'));
          if (name.starts_with("GLIBC_") && name.size() > 6 && name[6] >= '0' && name[6] <= '9') take_max(best, name.substr(6));
        }
        if (!va.vna_next) break;
        aux_off += va.vna_next;
      }
      if (!vn.vn_next) break;
      need_off += vn.vn_next;
    }
  }
  return best;
}

}  // namespace kgrid::kernels
