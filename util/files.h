// File primitives for every host-side part of kgrid, once: whole-file reads,
// atomic writes (a unique temp file beside the target, fsync, rename), mkdir
// -p, removable temporary paths, and errors that name the path and errno.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace kgrid {

// "<what> <path>: <strerror(errno)>", with errno read first.
Error errno_error(std::string_view what, const std::filesystem::path& path);

// mkdir -p with an error that names the directory.
Status make_dirs(const std::filesystem::path& dir);

// Reads a whole file.
Result<std::string> read_file(const std::filesystem::path& path);

// Writes the concatenation of `parts` to a fresh temp file beside `path`
// (mode 0644), fsyncs it and renames it over `path`, so a crash or a
// concurrent kgrid never leaves a partial file. Parent directories are
// created. On failure the temp file is removed and `path` is untouched.
Status write_file_atomic(const std::filesystem::path& path, std::initializer_list<std::string_view> parts);
inline Status write_file_atomic(const std::filesystem::path& path, std::string_view data) {
  return write_file_atomic(path, {data});
}

// A name beside `target` for a temporary file or directory: "<target>.tmp-<pid>-<n>".
std::filesystem::path temp_path_for(const std::filesystem::path& target);

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

// A private directory (mode 0700) under $TMPDIR or /tmp, removed with its
// contents when the object goes away.
class TempDir {
 public:
  static Result<TempDir> create(const std::string& prefix);
  TempDir(TempDir&& o) noexcept = default;
  TempDir& operator=(TempDir&&) = default;
  const std::filesystem::path& path() const { return dir_.path(); }
  std::filesystem::path operator/(const std::string& name) const { return path() / name; }

 private:
  explicit TempDir(std::filesystem::path p) : dir_(std::move(p)) {}
  TempPath dir_;
};

}  // namespace kgrid
