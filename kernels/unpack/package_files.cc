#include "kernels/unpack/package_files.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <set>

#include "kernels/cache.h"
#include "kernels/unpack/libarchive_util.h"
#include "kernels/unpack/deb.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;
namespace {

using la::ArchivePtr;
using la::kMaxFileSize;
constexpr auto arch_error = la::error_text;

// Called for each safe entry with its normalised path; returns false to stop.
using Visitor = std::function<Result<bool>(archive*, archive_entry*, const std::string& path)>;

Status visit_entries(archive* a, const std::string& label, const Visitor& visit) {
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) return ok_status();
    if (r < ARCHIVE_WARN) return make_error(label + ": " + arch_error(a));
    std::string raw = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (is_unsafe_archive_path(raw)) {
      return make_error(label + ": unsafe entry \"" + raw + "\" (absolute path or \"..\"), package rejected");
    }
    const char* hard = archive_entry_hardlink(entry);
    if (hard && is_unsafe_archive_path(hard)) {
      return make_error(label + ": unsafe entry \"" + raw + "\" (hard link to \"" + hard + "\"), package rejected");
    }
    auto more = visit(a, entry, normalize_archive_path(raw));
    if (!more) return more.error();
    if (!*more) return ok_status();
  }
}

// Opens the package and hands every entry of its payload to `visit`.
Status for_each_entry(const fs::path& package, const Visitor& visit) {
  const std::string label = package.filename().string();
  const PackageFormat format = package_format(package);
  if (format == PackageFormat::Unknown) return make_error(package.string() + ": neither a .deb nor an RPM");
  ArchivePtr outer(archive_read_new());
  if (!outer) return make_error(label + ": archive_read_new failed");
  if (format == PackageFormat::Rpm) {
    // The rpm filter strips lead and headers; the payload is a (compressed) cpio.
    archive_read_support_filter_all(outer.get());
    archive_read_support_format_cpio(outer.get());
  } else {
    archive_read_support_format_ar(outer.get());
  }
  if (archive_read_open_filename(outer.get(), package.c_str(), 1 << 16) != ARCHIVE_OK) {
    return make_error(package.string() + ": not readable: " + arch_error(outer.get()));
  }
  if (format == PackageFormat::Rpm) return visit_entries(outer.get(), label, visit);

  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(outer.get(), &entry);
    if (r == ARCHIVE_EOF) return make_error(package.string() + ": no data.tar member");
    if (r < ARCHIVE_WARN) return make_error(package.string() + ": " + arch_error(outer.get()));
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (!name.starts_with("data.tar")) continue;
    auto tar = la::open_inner_tar(outer.get(), label + " " + name);
    if (!tar) return tar.error();
    return visit_entries(tar->archive.get(), label + " " + name, visit);
  }
}

// Writes the current entry's data to `dest` (no temp file: callers unpack
// into a directory that is renamed into place as a whole).
Status write_data(archive* a, const fs::path& dest, mode_t mode, uint64_t* bytes, const std::string& what) {
  UniqueFd fd(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0755));
  if (!fd.valid()) return errno_error("cannot create", dest);
  auto copied = la::copy_entry_data(a, fd.get(), dest.string(), what);
  if (!copied) return copied.error();
  if (bytes) *bytes += static_cast<uint64_t>(*copied);
  return ok_status();
}

bool below_symlink(const std::set<std::string>& links, const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    if (links.count(path.substr(0, slash))) return true;
  return false;
}

// "boot/vmlinuz-<x>", "[usr/]lib/modules/<x>/vmlinuz": the image; same for config.
bool is_image_path(const std::string& p) {
  if (p.starts_with("boot/vmlinuz-") || p.starts_with("boot/vmlinux-")) return p.find('/', 5) == std::string::npos;
  std::string_view v = p;
  if (v.starts_with("usr/")) v.remove_prefix(4);
  return v.starts_with("lib/modules/") && v.ends_with("/vmlinuz") &&
         v.substr(12).find('/') == v.size() - 12 - 8;
}

bool is_config_path(const std::string& p) {
  if (p.starts_with("boot/config-")) return p.find('/', 5) == std::string::npos;
  std::string_view v = p;
  if (v.starts_with("usr/")) v.remove_prefix(4);
  return v.starts_with("lib/modules/") && v.ends_with("/config") && v.substr(12).find('/') == v.size() - 12 - 7;
}

}  // namespace

PackageFormat package_format(const fs::path& file) {
  char head[8] = {};
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::read(fd.get(), head, sizeof head) != static_cast<ssize_t>(sizeof head)) return PackageFormat::Unknown;
  if (std::memcmp(head, "!<arch>\n", 8) == 0) return PackageFormat::Deb;
  if (static_cast<unsigned char>(head[0]) == 0xed && static_cast<unsigned char>(head[1]) == 0xab &&
      static_cast<unsigned char>(head[2]) == 0xee && static_cast<unsigned char>(head[3]) == 0xdb)
    return PackageFormat::Rpm;
  return PackageFormat::Unknown;
}

std::string relative_link_target(const std::string& link_path, const std::string& absolute_target) {
  std::string out;
  for (char c : fs::path(link_path).parent_path().string())
    if (c == '/') out += "../";
  if (!fs::path(link_path).parent_path().empty()) out += "../";
  return out + normalize_archive_path(absolute_target.substr(absolute_target.find_first_not_of('/')));
}

Result<KernelFiles> extract_kernel_files(const fs::path& package, const fs::path& dest_dir) {
  KernelFiles out;
  std::set<std::string> links;
  Status st = make_dirs(dest_dir);
  if (!st) return st.error();
  std::string config_path;
  st = for_each_entry(package, [&](archive* a, archive_entry* e, const std::string& p) -> Result<bool> {
    const auto type = archive_entry_filetype(e);
    if (type == AE_IFLNK) links.insert(p);
    const bool image = out.image.empty() && is_image_path(p);
    const bool config = !out.config && is_config_path(p);
    if (!image && !config) return true;
    if (type != AE_IFREG || archive_entry_hardlink(e)) return true;  // e.g. a /boot symlink to the modules dir
    if (below_symlink(links, p)) return make_error(package.string() + ": " + p + " lies below a symlink, package rejected");
    const fs::path dest = dest_dir / (image ? "vmlinuz" : "config");
    std::error_code ec;
    fs::remove(dest, ec);
    Status w = write_data(a, dest, 0644, nullptr, package.filename().string() + ": " + p);
    if (!w) return w.error();
    if (image) {
      out.image = dest;
      out.image_path_in_package = p;
    } else {
      out.config = dest;
    }
    return !(out.config && !out.image.empty());
  });
  if (!st) return st.error();
  if (out.image.empty()) {
    return make_error(package.string() + ": no kernel image in the package (looked for boot/vmlinuz-* and "
                      "[usr/]lib/modules/<release>/vmlinuz)");
  }
  return out;
}

Status unpack_package(const fs::path& package, const fs::path& root, UnpackStats* stats) {
  UnpackStats local;
  UnpackStats& s = stats ? *stats : local;
  Status st = make_dirs(root);
  if (!st) return st;
  std::set<std::string> links;
  std::vector<std::string> new_links;
  st = for_each_entry(package, [&](archive* a, archive_entry* e, const std::string& p) -> Result<bool> {
    if (p.empty()) return true;
    if (below_symlink(links, p)) return make_error(package.string() + ": " + p + " lies below a symlink, package rejected");
    const fs::path dest = root / p;
    std::error_code ec;
    const auto type = archive_entry_filetype(e);
    const char* hard = archive_entry_hardlink(e);
    if (type == AE_IFDIR) {
      fs::create_directories(dest, ec);
      if (ec) return make_error("cannot create " + dest.string() + ": " + ec.message());
      return true;
    }
    fs::create_directories(dest.parent_path(), ec);
    if (ec) return make_error("cannot create " + dest.parent_path().string() + ": " + ec.message());
    fs::remove(dest, ec);  // a later package of the same set may replace a file
    if (hard) {
      const std::string target = normalize_archive_path(hard);
      if (below_symlink(links, target) || links.count(target)) return make_error(package.string() + ": hard link " + p + " through a symlink, package rejected");
      if (::link((root / target).c_str(), dest.c_str()) != 0) return errno_error("cannot link", dest);
      ++s.files;
      return true;
    }
    if (type == AE_IFLNK) {
      std::string target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
      if (target.empty()) return make_error(package.string() + ": empty symlink " + p);
      if (target.front() == '/') {
        target = relative_link_target(p, target);
        ++s.rewritten_symlinks;
      }
      if (::symlink(target.c_str(), dest.c_str()) != 0) return errno_error("cannot create symlink", dest);
      links.insert(p);
      new_links.push_back(p);
      ++s.symlinks;
      return true;
    }
    if (type != AE_IFREG) return true;  // devices, fifos: nothing a build needs
    Status w = write_data(a, dest, archive_entry_perm(e), &s.bytes, package.filename().string() + ": " + p);
    if (!w) return w.error();
    ++s.files;
    return true;
  });
  if (!st) return st;
  // Every link must resolve inside root, following the links already there.
  std::error_code ec;
  const fs::path real_root = fs::canonical(root, ec);
  if (ec) return make_error("cannot resolve " + root.string() + ": " + ec.message());
  for (const auto& p : new_links) {
    fs::path resolved = fs::weakly_canonical(root / p, ec);
    if (ec) continue;  // a loop or an unreadable part: it cannot lead anywhere either
    auto rel = resolved.lexically_relative(real_root);
    if (rel.empty() || *rel.begin() == "..") {
      return make_error(package.string() + ": symlink " + p + " leads out of the unpacked tree, package rejected");
    }
  }
  return ok_status();
}

}  // namespace kgrid::kernels
