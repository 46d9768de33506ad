// The kgrid cache directory and the file primitives the kernels code builds
// on: an RAII file descriptor, an flock-based lock, a temporary path that is
// removed unless kept, and atomic file writes (temp file + rename), so that a
// crash or a concurrent kgrid never leaves a half-written cache entry.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kgrid::kernels {

using UniqueFd = kgrid::UniqueFd;

// $KGRID_CACHE_DIR, else $XDG_CACHE_HOME/kgrid, else $HOME/.cache/kgrid.
// Empty variables count as unset. The directory is not created.
Result<std::filesystem::path> cache_dir();

// An exclusive flock(2) on a lock file, held until the object goes away.
// The lock file (and its parent directories) are created if needed.
class FileLock {
 public:
  static Result<FileLock> acquire(const std::filesystem::path& lock_file);
  // Fails at once instead of waiting when another process holds the lock.
  static Result<FileLock> try_acquire(const std::filesystem::path& lock_file);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing the fd releases the lock
};

// A path that is removed (recursively) when the object goes away, unless
// release() was called. For temporary files and directories.
class TempPath {
 public:
  TempPath() = default;
  explicit TempPath(std::filesystem::path p) : path_(std::move(p)) {}
  TempPath(TempPath&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  TempPath& operator=(TempPath&& o) noexcept;
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  ~TempPath() { remove(); }

  const std::filesystem::path& path() const { return path_; }
  void release() { path_.clear(); }
  void remove();

 private:
  std::filesystem::path path_;
};

// A name beside `target` for a temporary file: "<target>.tmp-<pid>-<n>".
std::filesystem::path temp_path_for(const std::filesystem::path& target);

// Writes `data` to a temporary file beside `path`, fsyncs it and renames it
// over `path`. Parent directories are created.
Status write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Reads a whole file.
Result<std::string> read_file(const std::filesystem::path& path);

// mkdir -p with an error that names the directory.
Status make_dirs(const std::filesystem::path& dir);

// "<what> <path>: <strerror(errno)>"
Error errno_error(std::string_view what, const std::filesystem::path& path);

}  // namespace kgrid::kernels
