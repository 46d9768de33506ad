#include "testrunner/kconfig.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "guest/guest_io.h"
#include "testrunner/text.h"

namespace kgrid::testrunner {

KernelConfigValues parse_kernel_config(std::string_view text) {
  KernelConfigValues values;
  for (std::string_view line : split_lines(text)) {
    if (line.substr(0, 7) != "CONFIG_") continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    values.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return values;
}

Result<std::string> gunzip(std::string_view data) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return make_error("inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  std::string msg = z.msg ? z.msg : "";
  inflateEnd(&z);
  if (rc != Z_STREAM_END)
    return make_error("not valid gzip data" + (msg.empty() ? std::string() : ": " + msg));
  return out;
}

Result<KernelConfigValues> read_kernel_config(const char* path) {
  guest::UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return make_error(std::string(path) + ": " + std::strerror(errno));
  fd.reset();
  auto text = gunzip(guest::read_file(path));
  if (!text) return make_error(std::string(path) + ": " + text.error().message);
  return parse_kernel_config(*text);
}

}  // namespace kgrid::testrunner
