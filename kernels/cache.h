// The kgrid cache directory and the lock that guards its entries. The file
// primitives the kernels code builds on (atomic writes, temp paths, reads)
// are util/files.h.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "common/unique_fd.h"
#include "util/files.h"

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

}  // namespace kgrid::kernels
