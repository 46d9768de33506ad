// Small shared pieces for reading archives with libarchive: an owning
// handle, its error text, and reading an inner archive (a .deb's data.tar.*)
// straight from the current member of an outer one (the .deb's ar).
#pragma once

#include <archive.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace kgrid::kernels::la {

// A wanted file larger than this is refused (a vmlinuz is ~10-20 MB).
inline constexpr int64_t kMaxFileSize = int64_t{1} << 30;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::string error_text(archive* a);

// Copies the current entry's data to `fd` (named `fd_name` in errors), at
// most kMaxFileSize bytes; `what` names the entry. The bytes copied.
Result<int64_t> copy_entry_data(archive* a, int fd, const std::string& fd_name, const std::string& what);

// The inner archive reads through read_outer() from the outer's current member.
struct OuterSource {
  archive* outer;
  char buf[1 << 16];
};

la_ssize_t read_outer(archive* inner, void* user, const void** out);

// A tar (any compression) read from the outer's current member: a .deb's
// control.tar.* or data.tar.*. `label` names it in the error.
struct InnerTar {
  std::unique_ptr<OuterSource> source;
  ArchivePtr archive;  // after `source`: freed first
};
Result<InnerTar> open_inner_tar(::archive* outer, const std::string& label);

}  // namespace kgrid::kernels::la
