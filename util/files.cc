#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/unique_fd.h"

namespace kgrid {
namespace fs = std::filesystem;

Error errno_error(std::string_view what, const fs::path& path) {
  int e = errno;
  return make_error(std::string(what) + " " + path.string() + ": " + std::strerror(e));
}

Status make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create directory " + dir.string() + ": " + ec.message());
  return ok_status();
}

Result<std::string> read_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status write_file_atomic(const fs::path& path, std::initializer_list<std::string_view> parts) {
  if (path.has_parent_path())
    if (Status st = make_dirs(path.parent_path()); !st) return st;
  std::string tmpl = path.string() + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot create a temporary file for", path);
  TempPath tmp(tmpl);
  for (std::string_view part : parts) {
    while (!part.empty()) {
      ssize_t n = ::write(fd.get(), part.data(), part.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("cannot write", tmp.path());
      if (n == 0) return make_error("cannot write " + tmp.path().string() + ": no progress");
      part.remove_prefix(static_cast<size_t>(n));
    }
  }
  if (::fchmod(fd.get(), 0644) != 0) return errno_error("cannot chmod", tmp.path());
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", tmp.path());
  if (::close(fd.release()) != 0) return errno_error("cannot close", tmp.path());
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) return errno_error("cannot rename to", path);
  tmp.release();
  return ok_status();
}

fs::path temp_path_for(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  fs::path p = target;
  p += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return p;
}

TempPath& TempPath::operator=(TempPath&& o) noexcept {
  if (this != &o) {
    remove();
    path_ = std::exchange(o.path_, {});
  }
  return *this;
}

void TempPath::remove() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);  // best effort: nothing useful to do on failure
  path_.clear();
}

Result<TempDir> TempDir::create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  fs::path base = tmp && *tmp ? fs::path(tmp) : fs::path("/tmp");
  std::string tmpl = (base / (prefix + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return errno_error("cannot create a temporary directory in", base);
  return TempDir(fs::path(tmpl));
}

}  // namespace kgrid
