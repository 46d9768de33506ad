#include "packer/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kgrid::packer {
namespace {

Error errno_error(std::string_view what, const std::filesystem::path& path) {
  return make_error(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat", path);
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status write_file_atomic(const std::filesystem::path& path,
                         std::initializer_list<std::string_view> parts) {
  std::string tmp = path.string() + ".tmp.XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd.valid()) return errno_error("create temp file for", path);
  auto fail = [&](Error e) -> Status {
    ::unlink(tmp.c_str());
    return e;
  };
  for (std::string_view part : parts) {
    if (Status s = write_all(fd.get(), part, tmp); !s) return fail(s.error());
  }
  if (::fchmod(fd.get(), 0644) != 0) return fail(errno_error("chmod", tmp));
  if (::fsync(fd.get()) != 0) return fail(errno_error("fsync", tmp));
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(errno_error("rename to", path));
  return ok_status();
}

}  // namespace kgrid::packer
