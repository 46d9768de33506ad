#include "kernels/unpack/libarchive_util.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kgrid::kernels::la {

std::string error_text(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

Result<int64_t> copy_entry_data(archive* a, int fd, const std::string& fd_name, const std::string& what) {
  int64_t total = 0;
  char buf[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) return make_error(what + ": " + error_text(a));
    if (n == 0) return total;
    total += n;
    if (total > kMaxFileSize) return make_error(what + ": larger than 1 GiB, refused");
    for (la_ssize_t done = 0; done < n;) {
      ssize_t w = ::write(fd, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return make_error("cannot write " + fd_name + ": " + std::strerror(errno));
      done += w;
    }
  }
}

la_ssize_t read_outer(archive* inner, void* user, const void** out) {
  auto* src = static_cast<OuterSource*>(user);
  la_ssize_t n = archive_read_data(src->outer, src->buf, sizeof src->buf);
  if (n < 0) {
    archive_set_error(inner, EIO, "reading the outer archive member: %s", error_text(src->outer).c_str());
    return -1;
  }
  *out = src->buf;
  return n;
}

Result<InnerTar> open_inner_tar(::archive* outer, const std::string& label) {
  InnerTar t;
  t.source = std::make_unique<OuterSource>();
  t.source->outer = outer;
  t.archive.reset(archive_read_new());
  if (!t.archive) return make_error(label + ": archive_read_new failed");
  archive_read_support_filter_all(t.archive.get());
  archive_read_support_format_tar(t.archive.get());
  if (archive_read_open(t.archive.get(), t.source.get(), nullptr, read_outer, nullptr) != ARCHIVE_OK) {
    return make_error(label + ": " + error_text(t.archive.get()));
  }
  return t;
}

}  // namespace kgrid::kernels::la
