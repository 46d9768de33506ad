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

}  // namespace kgrid::kernels
