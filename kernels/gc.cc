#include "kernels/gc.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "kernels/cache.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

uint64_t tree_bytes(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(fs::symlink_status(p, ec))) return fs::file_size(p, ec);
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec) && !it->is_symlink(fec)) total += it->file_size(fec);
  }
  return total;
}

std::time_t to_time_t(fs::file_time_type t) {
  return std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::system_clock::duration>(fs::file_time_type::clock::to_sys(t)));
}

std::time_t last_used(const fs::path& dir) {
  if (auto text = read_file(dir / "last-used")) {
    std::time_t t = 0;
    std::from_chars(text->data(), text->data() + text->size(), t);
    if (t > 0) return t;
  }
  std::error_code ec;
  auto m = fs::last_write_time(dir / "meta.json", ec);
  if (ec) m = fs::last_write_time(dir, ec);
  return ec ? 0 : to_time_t(m);
}

std::vector<GcEntry> entries_in(const fs::path& dir, const std::string& kind) {
  std::vector<GcEntry> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(".") || !e.is_directory()) continue;
    out.push_back(GcEntry{kind, name, e.path(), 0, last_used(e.path()), ""});
  }
  return out;
}

}  // namespace

Result<GcReport> gc_cache(const fs::path& root, const GcOptions& o) {
  if (!o.keep && !o.max_age) return make_error("kernels gc: give --keep N and/or --max-age DAYS");
  GcReport report;
  const std::time_t now = std::time(nullptr);
  std::set<std::string> kept_images;  // sha256 of kept kernel images, for their vmlinux

  auto remove = [&](GcEntry& e, const fs::path& lock_file) {
    std::optional<FileLock> lock;
    if (!lock_file.empty()) {
      auto l = FileLock::try_acquire(lock_file);
      if (!l) {
        report.warnings.push_back(e.id + " is in use, kept");
        report.kept.push_back(e);
        return false;
      }
      lock.emplace(std::move(*l));
    }
    e.bytes = tree_bytes(e.path);
    if (!o.dry_run) {
      std::error_code ec;
      fs::remove_all(e.path, ec);
      if (ec) {
        report.warnings.push_back("cannot remove " + e.path.string() + ": " + ec.message());
        return false;
      }
    }
    report.bytes_freed += e.bytes;
    report.removed.push_back(e);
    return true;
  };

  for (const std::string kind : {"kernel", "headers"}) {
    const fs::path dir = root / (kind == "kernel" ? "kernels" : "headers");
    auto entries = entries_in(dir, kind);
    std::sort(entries.begin(), entries.end(), [](const GcEntry& a, const GcEntry& b) {
      return a.last_used != b.last_used ? a.last_used > b.last_used : a.id < b.id;
    });
    for (size_t i = 0; i < entries.size(); ++i) {
      GcEntry& e = entries[i];
      std::string image_sha;
      if (kind == "kernel") {
        if (auto text = read_file(e.path / "meta.json")) {
          json meta = json::parse(*text, nullptr, false);
          if (meta.is_object()) image_sha = meta.value("sha256", "");
        }
      }
      if (o.keep && i >= *o.keep) e.why = "not among the " + std::to_string(*o.keep) + " most recently used";
      else if (o.max_age && now - e.last_used > std::chrono::duration_cast<std::chrono::seconds>(*o.max_age).count())
        e.why = "unused for " + std::to_string((now - e.last_used) / 86400) + " days";
      const fs::path lock = root / "locks" / ((kind == "kernel" ? "" : "headers-") + e.id + ".lock");
      if (e.why.empty() || !remove(e, lock)) {
        if (e.why.empty()) {
          e.bytes = tree_bytes(e.path);
          report.kept.push_back(e);
        }
        if (!image_sha.empty()) kept_images.insert(image_sha);
        continue;
      }
      if (!image_sha.empty()) {
        for (const char* ext : {".elf", ".nopvh"}) {
          fs::path v = root / "vmlinux" / (image_sha + ext);
          std::error_code ec;
          if (!fs::exists(v, ec)) continue;
          GcEntry ve{"vmlinux", image_sha.substr(0, 16) + ext, v, 0, e.last_used, "its kernel " + e.id + " went"};
          remove(ve, root / "locks" / ("vmlinux-" + image_sha + ".lock"));
        }
      }
    }
  }

  // vmlinux files of no cached kernel (local images): by age.
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(root / "vmlinux", ec)) {
    const std::string name = f.path().filename().string();
    const std::string sha = name.substr(0, name.find('.'));
    if (kept_images.count(sha) || !o.max_age || name.starts_with(".")) continue;
    std::error_code fec;
    const std::time_t t = to_time_t(fs::last_write_time(f.path(), fec));
    if (fec || now - t <= std::chrono::duration_cast<std::chrono::seconds>(*o.max_age).count()) continue;
    bool already = false;
    for (const auto& r : report.removed) already |= r.path == f.path();
    if (already) continue;
    GcEntry ve{"vmlinux", name, f.path(), 0, t, "a vmlinux of no cached kernel, older than the age limit"};
    remove(ve, root / "locks" / ("vmlinux-" + sha + ".lock"));
  }

  // Leftovers of killed runs.
  const std::time_t day_ago = now - 86400;
  for (const char* sub : {"downloads", "kernels", "headers"}) {
    for (const auto& f : fs::directory_iterator(root / sub, ec)) {
      const std::string name = f.path().filename().string();
      const bool leftover = std::string_view(sub) == "downloads" || (name.starts_with(".") && name.find(".tmp-") != std::string::npos);
      std::error_code fec;
      if (!leftover || to_time_t(fs::last_write_time(f.path(), fec)) > day_ago || fec) continue;
      GcEntry le{"leftover", name, f.path(), 0, 0, "left behind by an interrupted kgrid"};
      remove(le, {});
    }
  }
  return report;
}

}  // namespace kgrid::kernels
