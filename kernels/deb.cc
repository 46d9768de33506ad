#include "kernels/deb.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "kernels/cache.h"
#include "kernels/libarchive_util.h"

namespace kgrid::kernels {
namespace {

using la::ArchivePtr;
using la::kMaxFileSize;
using la::OuterSource;
using la::read_outer;
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
  int64_t total = 0;
  char buf[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) return make_error(what + ": " + arch_error(a));
    if (n == 0) break;
    total += n;
    if (total > kMaxFileSize) return make_error(what + ": larger than 1 GiB, refused");
    for (la_ssize_t done = 0; done < n;) {
      ssize_t w = ::write(fd.get(), buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errno_error("cannot write", tmp.path());
      done += w;
    }
  }
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", tmp.path());
  fd.reset();
  if (::rename(tmp.path().c_str(), dest.c_str()) != 0) return errno_error("cannot rename to", dest);
  tmp.release();
  return ok_status();
}

// Reads data.tar.* from the current outer member.
Status extract_data_tar(archive* outer, const std::string& label,
                        const std::vector<DebExtract>& wanted, std::set<std::string>* found) {
  ArchivePtr inner(archive_read_new());
  if (!inner) return make_error(label + ": archive_read_new failed");
  archive_read_support_filter_all(inner.get());
  archive_read_support_format_tar(inner.get());
  auto src = std::make_unique<OuterSource>();
  src->outer = outer;
  if (archive_read_open(inner.get(), src.get(), nullptr, read_outer, nullptr) != ARCHIVE_OK) {
    return make_error(label + ": " + arch_error(inner.get()));
  }
  std::set<std::string> symlinks;
  archive_entry* entry = nullptr;
  while (found->size() < wanted.size()) {
    int r = archive_read_next_header(inner.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return make_error(label + ": " + arch_error(inner.get()));
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
      Status st = write_entry(inner.get(), w.dest, label + ": " + path);
      if (!st) return st;
      found->insert(path);
    }
  }
  return ok_status();
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
  const std::string label = deb.filename().string();
  ArchivePtr outer(archive_read_new());
  if (!outer) return make_error(label + ": archive_read_new failed");
  archive_read_support_format_ar(outer.get());
  if (archive_read_open_filename(outer.get(), deb.c_str(), 1 << 16) != ARCHIVE_OK) {
    return make_error(deb.string() + ": not a readable .deb: " + arch_error(outer.get()));
  }
  std::set<std::string> found;
  bool saw_data = false;
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(outer.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return make_error(deb.string() + ": " + arch_error(outer.get()));
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (!name.starts_with("data.tar")) continue;
    saw_data = true;
    Status st = extract_data_tar(outer.get(), label + " " + name, wanted, &found);
    if (!st) return st;
    break;
  }
  if (!saw_data) return make_error(deb.string() + ": no data.tar member, not a Debian package");
  std::string missing;
  for (const auto& w : wanted) {
    if (!found.count(w.path_in_deb)) missing += (missing.empty() ? "" : ", ") + w.path_in_deb;
  }
  if (!missing.empty()) return make_error(deb.string() + ": no " + missing + " in the package");
  return ok_status();
}

}  // namespace kgrid::kernels
