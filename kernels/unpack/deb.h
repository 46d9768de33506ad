// Extracts single files from a Debian package (.deb) with libarchive: the
// outer ar archive is read member by member and data.tar.{xz,zst,gz,bz2} is
// read straight from the outer member's data, without a temporary copy.
//
// Archive paths are never used as output paths: each wanted file is written
// to the destination the caller names (temp file + rename). On top of that,
// any entry with an absolute path or a ".." component makes the whole
// package fail, and so does a wanted file that is not a regular file or
// lies below a symlink entry of the archive.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernels/unpack/md5sums.h"

struct archive;

namespace kgrid::kernels {

struct DebExtract {
  std::string path_in_deb;  // as in data.tar, without "./": "boot/vmlinuz-6.1.0-50-amd64"
  std::filesystem::path dest;
};

// Reading stops once every wanted file is found. A wanted file that is
// missing is an error naming it and the package.
Status extract_from_deb(const std::filesystem::path& deb, const std::vector<DebExtract>& wanted);

// The same from an ar archive the caller opened (a .deb read as it is
// downloaded, see deb_stream.h); `label` names it in errors. With
// `md5sums`, control.tar's md5sums (which comes before data.tar) is read
// into it; a package without one leaves it empty.
Status extract_from_deb_archive(archive* outer, const std::string& label, const std::vector<DebExtract>& wanted,
                                Md5Sums* md5sums = nullptr);

// "./a//b/" -> "a/b"; empty for "./". Does not resolve "..".
std::string normalize_archive_path(std::string_view path);

// True for an absolute path or one with a ".." component.
bool is_unsafe_archive_path(std::string_view path);

}  // namespace kgrid::kernels
