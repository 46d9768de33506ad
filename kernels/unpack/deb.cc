#include "kernels/unpack/deb.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "kernels/cache.h"
#include "kernels/unpack/libarchive_util.h"

namespace kgrid::kernels {
namespace {

using la::ArchivePtr;
using la::kMaxFileSize;
constexpr auto arch_error = la::error_text;

// Writes the current entry's data to `dest` via a temporary file.
Status write_entry(archive* a, const std::filesystem::path& dest, const std::string& what) {
  if (dest.has_parent_path()) {
    Status st = make_dirs(dest.parent_path());
    if (!st) return st;
  }
  TempPath tmp(temp_path_for(dest));
  UniqueFd fd(::open(tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return errno_error("cannot create", tmp.path());
  auto copied = la::copy_entry_data(a, fd.get(), tmp.path().string(), what);
  if (!copied) return copied.error();
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", tmp.path());
  fd.reset();
  if (::rename(tmp.path().c_str(), dest.c_str()) != 0) return errno_error("cannot rename to", dest);
  tmp.release();
  return ok_status();
}

// Reads data.tar.* from the current outer member.
Status extract_data_tar(archive* outer, const std::string& label,
                        const std::vector<DebExtract>& wanted, std::set<std::string>* found) {
  auto tar = la::open_inner_tar(outer, label);
  if (!tar) return tar.error();
  archive* inner = tar->archive.get();
  std::set<std::string> symlinks;
  archive_entry* entry = nullptr;
  while (found->size() < wanted.size()) {
    int r = archive_read_next_header(inner, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return make_error(label + ": " + arch_error(inner));
    const char* raw = archive_entry_pathname(entry);
    std::string raw_path = raw ? raw : "";
    if (is_unsafe_archive_path(raw_path)) {
      return make_error(label + ": unsafe entry \"" + raw_path +
                        "\" (absolute path or \"..\"), package rejected");
    }
    const char* hardlink = archive_entry_hardlink(entry);
    if (hardlink && is_unsafe_archive_path(hardlink)) {
      return make_error(label + ": unsafe entry \"" + raw_path + "\" (hard link to \"" + hardlink +
                        "\"), package rejected");
    }
    std::string path = normalize_archive_path(raw_path);
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) symlinks.insert(path);
    for (const auto& w : wanted) {
      if (w.path_in_deb != path) continue;
      if (type != AE_IFREG || hardlink != nullptr) {
        return make_error(label + ": " + path + " is not a regular file, package rejected");
      }
      for (size_t slash = path.find('/'); slash != std::string::npos;
           slash = path.find('/', slash + 1)) {
        if (symlinks.count(path.substr(0, slash))) {
          return make_error(label + ": " + path + " lies below the symlink " +
                            path.substr(0, slash) + ", package rejected");
        }
      }
      Status st = write_entry(inner, w.dest, label + ": " + path);
      if (!st) return st;
      found->insert(path);
    }
  }
  return ok_status();
}

// Reads control.tar.*'s md5sums (a regular file) from the current outer member.
Status read_md5sums(archive* outer, const std::string& label, Md5Sums* out) {
  auto tar = la::open_inner_tar(outer, label);
  if (!tar) return tar.error();
  archive* inner = tar->archive.get();
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(inner, &entry);
    if (r == ARCHIVE_EOF) return ok_status();
    if (r < ARCHIVE_WARN) return make_error(label + ": " + arch_error(inner));
    const char* raw = archive_entry_pathname(entry);
    if (normalize_archive_path(raw ? raw : "") != "md5sums" || archive_entry_filetype(entry) != AE_IFREG) continue;
    constexpr int64_t kMaxMd5Sums = int64_t{64} << 20;
    if (archive_entry_size(entry) > kMaxMd5Sums) return make_error(label + ": md5sums larger than 64 MiB, refused");
    std::string text(static_cast<size_t>(archive_entry_size(entry)), '\0');
    size_t got = 0;
    while (got < text.size()) {
      la_ssize_t n = archive_read_data(inner, text.data() + got, text.size() - got);
      if (n < 0) return make_error(label + ": " + arch_error(inner));
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
    auto sums = parse_md5sums(text);
    if (!sums) return make_error(label + ": " + sums.error().message);
    *out = std::move(*sums);
    return ok_status();
  }
}

}  // namespace

std::string normalize_archive_path(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    i = j + 1;
  }
  return out;
}

bool is_unsafe_archive_path(std::string_view path) {
  if (path.empty()) return false;
  if (path.front() == '/') return true;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (path.substr(i, j - i) == "..") return true;
    i = j + 1;
  }
  return false;
}

Status extract_from_deb(const std::filesystem::path& deb, const std::vector<DebExtract>& wanted) {
  ArchivePtr outer(archive_read_new());
  if (!outer) return make_error(deb.string() + ": archive_read_new failed");
  archive_read_support_format_ar(outer.get());
  if (archive_read_open_filename(outer.get(), deb.c_str(), 1 << 16) != ARCHIVE_OK) {
    return make_error(deb.string() + ": not a readable .deb: " + arch_error(outer.get()));
  }
  return extract_from_deb_archive(outer.get(), deb.string(), wanted);
}

Status extract_from_deb_archive(archive* outer, const std::string& label, const std::vector<DebExtract>& wanted,
                                Md5Sums* md5sums) {
  std::set<std::string> found;
  bool saw_data = false;
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(outer, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return make_error(label + ": " + arch_error(outer));
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (md5sums && name.starts_with("control.tar")) {
      Status st = read_md5sums(outer, label + " " + name, md5sums);
      if (!st) return st;
      continue;
    }
    if (!name.starts_with("data.tar")) continue;
    saw_data = true;
    Status st = extract_data_tar(outer, label + " " + name, wanted, &found);
    if (!st) return st;
    break;
  }
  if (!saw_data) return make_error(label + ": no data.tar member, not a Debian package");
  std::string missing;
  for (const auto& w : wanted) {
    if (!found.count(w.path_in_deb)) missing += (missing.empty() ? "" : ", ") + w.path_in_deb;
  }
  if (!missing.empty()) return make_error(label + ": no " + missing + " in the package");
  return ok_status();
}

}  // namespace kgrid::kernels
