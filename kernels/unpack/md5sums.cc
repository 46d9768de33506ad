#include "kernels/unpack/md5sums.h"

#include "kernels/unpack/deb.h"

namespace kgrid::kernels {
namespace {

bool is_hex32(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<Md5Sums> parse_md5sums(std::string_view text) {
  Md5Sums out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    // "<md5>  <path>" (or "<md5> *<path>", md5sum's binary mode).
    if (line.size() < 35 || !is_hex32(line.substr(0, 32)) || line[32] != ' ' ||
        (line[33] != ' ' && line[33] != '*')) {
      return make_error("md5sums line " + std::to_string(line_no) + " is malformed: \"" + std::string(line) + "\"");
    }
    out[normalize_archive_path(line.substr(34))] = std::string(line.substr(0, 32));
  }
  return out;
}

}  // namespace kgrid::kernels
