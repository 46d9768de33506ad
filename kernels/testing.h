// Test helpers for kernels_test (not part of the library): synthetic kernel
// images, xz and tar/ar writers built on liblzma and libarchive, scratch
// directories, and the real Debian kernel the network tests share.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/debian.h"

namespace kgrid::kernels::testing {

// A scratch directory, removed with everything in it at scope exit.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, std::string_view data);
std::string slurp(const std::filesystem::path& path);

// A minimal x86 bzImage: setup header (protocol 2.15), version string, and
// a payload that starts with `payload_magic` (e.g. "\x28\xb5\x2f\xfd").
std::string make_bzimage(std::string_view version, std::string_view payload_magic);

std::string xz_compress(std::string_view data);

struct TarEntry {
  enum Type { File, Dir, Symlink, Hardlink } type = File;
  std::string path;
  std::string data;  // file contents
  std::string link;  // symlink or hardlink target
};

// A tar archive compressed with `filter` ("xz", "zstd", "gzip" or "none").
std::string make_tar(const std::vector<TarEntry>& entries, std::string_view filter = "xz");

// A .deb: debian-binary, control.tar.xz and a data member named
// `data_name` (e.g. "data.tar.xz") holding `data_tar`.
std::string make_deb(std::string_view data_name, const std::string& data_tar);

// The error text of a failed result, "" for success: safe to use as a
// doctest message, which may be evaluated even when the check passes.
template <class T>
std::string why(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message;
}

// Whether network tests should run (KGRID_NO_NETWORK unset or "0").
bool network_allowed();

// debian:bookworm/linux-image-amd64 fetched into the user cache once per
// test run; the network tests use it.
const Result<FetchedKernel>& bookworm_kernel();

}  // namespace kgrid::kernels::testing
