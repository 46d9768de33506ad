// Small file primitives for the packer: an RAII file descriptor, whole-file
// reads, and atomic writes (temp file in the target's directory, fsync,
// rename), so a crash or a concurrent kgrid never leaves a partial file.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace kgrid::packer {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

Result<std::string> read_file(const std::filesystem::path& path);

// Writes the concatenation of `parts` to `path` atomically, mode 0644.
// The parent directory must exist.
Status write_file_atomic(const std::filesystem::path& path,
                         std::initializer_list<std::string_view> parts);

}  // namespace kgrid::packer
