#include "kernels/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace kgrid::kernels {
namespace fs = std::filesystem;

Error errno_error(std::string_view what, const fs::path& path) {
  int e = errno;
  return make_error(std::string(what) + " " + path.string() + ": " + std::strerror(e));
}

namespace {

const char* env_nonempty(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

Result<FileLock> lock_with(const fs::path& lock_file, int op, FileLock (*make)(UniqueFd)) {
  if (lock_file.has_parent_path()) {
    Status st = make_dirs(lock_file.parent_path());
    if (!st) return st.error();
  }
  UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error("cannot open lock file", lock_file);
  while (::flock(fd.get(), op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return make_error("lock " + lock_file.string() + " is held by another process");
    }
    return errno_error("cannot lock", lock_file);
  }
  return make(std::move(fd));
}

}  // namespace

Result<fs::path> cache_dir() {
  if (const char* d = env_nonempty("KGRID_CACHE_DIR")) return fs::path(d);
  if (const char* d = env_nonempty("XDG_CACHE_HOME")) return fs::path(d) / "kgrid";
  if (const char* d = env_nonempty("HOME")) return fs::path(d) / ".cache" / "kgrid";
  return make_error("no cache directory: set KGRID_CACHE_DIR, XDG_CACHE_HOME or HOME");
}

Result<FileLock> FileLock::acquire(const fs::path& lock_file) {
  return lock_with(lock_file, LOCK_EX, [](UniqueFd fd) { return FileLock(std::move(fd)); });
}

Result<FileLock> FileLock::try_acquire(const fs::path& lock_file) {
  return lock_with(lock_file, LOCK_EX | LOCK_NB,
                   [](UniqueFd fd) { return FileLock(std::move(fd)); });
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

fs::path temp_path_for(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  fs::path p = target;
  p += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return p;
}

Status make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create directory " + dir.string() + ": " + ec.message());
  return ok_status();
}

Status write_file_atomic(const fs::path& path, std::string_view data) {
  if (path.has_parent_path()) {
    Status st = make_dirs(path.parent_path());
    if (!st) return st;
  }
  TempPath tmp(temp_path_for(path));
  UniqueFd fd(::open(tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error("cannot create", tmp.path());
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write", tmp.path());
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", tmp.path());
  fd.reset();
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) return errno_error("cannot rename to", path);
  tmp.release();
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

}  // namespace kgrid::kernels
