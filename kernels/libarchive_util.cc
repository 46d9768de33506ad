#include "kernels/libarchive_util.h"

#include <cerrno>

namespace kgrid::kernels::la {

std::string error_text(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
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

}  // namespace kgrid::kernels::la
