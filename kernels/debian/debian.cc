#include "kernels/debian/debian.h"

#include <chrono>
#include <ctime>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "kernels/cache.h"
#include "kernels/image/config.h"
#include "kernels/unpack/deb.h"
#include "kernels/unpack/deb_stream.h"
#include "kernels/debian/debian_index.h"
#include "kernels/download/http.h"
#include "kernels/image/image.h"
#include "kernels/sha256.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Lower-case letters and digits plus `extra`, starting with a letter or digit.
bool valid_token(std::string_view s, std::string_view extra) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string kernel_arch(const std::string& debian_arch) {
  if (debian_arch == "amd64") return "x86_64";
  if (debian_arch == "arm64") return "arm64";
  return "";
}

// "23.4": megabytes with one decimal.
std::string mb(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(bytes) / 1e6);
  return buf;
}

// Finds the resolution for the selector, from the cache when it was made
// against the same (verified) index. The caller holds the index lock.
Result<KernelResolution> resolve(const Selector& sel, const ArchiveAccess& access, const IndexLocation& loc,
                                 std::vector<std::string>* warnings) {
  const fs::path res_path = loc.resolution_path(sel.package);
  auto cached = load_resolution(res_path);
  if (!cached) {
    warnings->push_back(cached.error().message);
    cached = std::optional<CachedResolution>();
  }
  // Offline, a resolution made earlier stands: the kernel directory is
  // checked against its meta.json anyway.
  if (access.offline && *cached) return (*cached)->resolution;
  auto idx = ensure_index(loc, access.policy);
  if (!idx) {
    if (access.offline) {
      return make_error(sel.text() + ": offline (KGRID_OFFLINE) and never resolved here: " + idx.error().message);
    }
    return make_error(sel.text() + ": " + idx.error().message);
  }
  warnings->insert(warnings->end(), idx->warnings.begin(), idx->warnings.end());
  if (idx->downloaded) access.say("updated the Packages index of " + loc.suite + "/" + loc.arch);
  if (*cached && (*cached)->index_sha256 == idx->sha256) return (*cached)->resolution;
  auto index = load_kernel_packages(idx->xz);
  if (!index) return index.error();
  auto r = resolve_kernel(*index, sel.package);
  if (!r) return make_error(sel.text() + ": " + r.error().message);
  Status st = save_resolution(res_path, CachedResolution{*r, idx->sha256});
  if (!st) warnings->push_back("could not cache the resolution: " + st.error().message);
  return r;
}

// What installing a kernel fetched, for meta.json and FetchedKernel.
struct Installed {
  std::string verified = kVerifiedSha256;
  uint64_t bytes_fetched = 0;
  uint64_t package_size = 0;
};

json meta_json(const Selector& sel, const KernelResolution& r, const std::string& vmlinuz_sha,
               const std::string& config_sha, const Installed& got) {
  return {{"suite", sel.suite},
          {"package", r.package},
          {"version", r.version},
          {"abi", r.abi},
          {"arch", sel.arch},
          {"layout", r.layout},
          {"image_package", r.image.package},
          {"image_version", r.image.version},
          {"deb_sha256", r.image.sha256},
          {"config_package", r.config.package},
          {"config_deb_sha256", r.config.sha256},
          {"sha256", vmlinuz_sha},
          {"config_sha256", config_sha},
          {"verified", got.verified},
          {"bytes_fetched", got.bytes_fetched},
          {"package_size", got.package_size}};
}

// The meta.json of `dir` when it holds this resolution's kernel, intact,
// and verified as `mode` asks (entries from before "verified" existed were
// checked by SHA-256).
std::optional<json> cached_kernel(const fs::path& dir, const KernelResolution& r, FetchMode mode, std::string* why) {
  auto text = read_file(dir / "meta.json");
  if (!text) return std::nullopt;
  json meta = json::parse(*text, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) {
    *why = "damaged meta.json";
    return std::nullopt;
  }
  if (meta.value("abi", "") != r.abi || meta.value("deb_sha256", "") != r.image.sha256 ||
      meta.value("config_deb_sha256", "") != r.config.sha256) {
    *why = "the index now has another build";
    return std::nullopt;
  }
  if (mode == FetchMode::Verified && meta.value("verified", kVerifiedSha256) != std::string(kVerifiedSha256)) {
    *why = "it was fetched partially (package SHA-256 not checked), now verified is asked for";
    return std::nullopt;
  }
  auto vmlinuz = sha256_file(dir / "vmlinuz");
  auto config = sha256_file(dir / "config");
  if (!vmlinuz || !config || *vmlinuz != meta.value("sha256", "") ||
      *config != meta.value("config_sha256", "")) {
    *why = "the cached files do not match meta.json";
    return std::nullopt;
  }
  return meta;
}

// Removes what killed kgrid processes left behind in `dir`: entries older
// than a day whose names start with `prefix` ("" for all).
void remove_stale(const fs::path& dir, std::string_view prefix) {
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.path().filename().string().starts_with(prefix)) continue;
    std::error_code ec2;
    if (e.symlink_status(ec2).type() != fs::file_type::symlink && e.last_write_time(ec2) < cutoff && !ec2) {
      fs::remove_all(e.path(), ec2);
    }
  }
}

// Streams the package(s), unpacking vmlinuz and config into a temporary
// directory, checks them and moves the directory into place.
Result<Installed> install_kernel(const Selector& sel, const KernelResolution& r, const ArchiveAccess& access,
                                 const fs::path& dir) {
  const fs::path& root = access.root;
  remove_stale(root / "kernels", ".");
  remove_stale(root / "downloads", "");  // whole packages of older kgrid versions
  TempPath work(temp_path_for(root / "kernels" / ("." + dir.filename().string())));
  Status st = make_dirs(work.path());
  if (!st) return st.error();
  // Group the wanted files by package (one package in the "boot" layout).
  std::map<std::string, std::pair<const DebFile*, std::vector<DebExtract>>> by_deb;
  by_deb[r.image.filename].first = &r.image;
  by_deb[r.image.filename].second.push_back({r.image.path_in_deb, work.path() / "vmlinuz"});
  by_deb[r.config.filename].first = &r.config;
  by_deb[r.config.filename].second.push_back({r.config.path_in_deb, work.path() / "config"});

  Installed got;
  for (auto& [filename, job] : by_deb) {
    const DebFile& deb = *job.first;
    if (is_unsafe_archive_path(filename) || fs::path(filename).filename().empty()) {
      return make_error("refusing index Filename \"" + filename + "\" of " + deb.package);
    }
    const std::string url = access.mirror + "/" + filename;
    access.say("downloading " + url + " (" + mb(deb.size) + " MB, " + fetch_mode_name(access.fetch_mode) + ")");
    DownloadOptions dl;
    dl.expected_sha256 = deb.sha256;
    dl.expected_size = deb.size;
    auto streamed = stream_from_deb(url, job.second, access.fetch_mode, dl);
    if (!streamed) return streamed.error();
    for (const auto& note : streamed->notes) access.say(note);
    access.say("fetched " + mb(streamed->bytes_fetched) + " of " + mb(deb.size) + " MB of " + deb.package +
               (streamed->sha256_checked ? " (package SHA-256 checked)"
                                         : " (stopped early: md5sums checked, package SHA-256 not)"));
    got.bytes_fetched += streamed->bytes_fetched;
    got.package_size += deb.size;
    if (!streamed->sha256_checked) got.verified = kVerifiedPartial;
  }

  auto img = inspect_image(work.path() / "vmlinuz");
  if (!img) return make_error(sel.text() + ": the extracted kernel is bad: " + img.error().message);
  if (img->release != r.abi) {
    return make_error(sel.text() + ": the kernel in " + r.image.package + " reports release " +
                      img->release + ", expected " + r.abi);
  }
  const std::string want_arch = kernel_arch(sel.arch);
  if (!want_arch.empty() && img->arch != want_arch) {
    return make_error(sel.text() + ": the kernel is " + img->arch + ", expected " + want_arch);
  }
  auto cfg = KernelConfig::load(work.path() / "config");
  if (!cfg) return make_error(sel.text() + ": the extracted config is bad: " + cfg.error().message);

  auto vmlinuz_sha = sha256_file(work.path() / "vmlinuz");
  if (!vmlinuz_sha) return vmlinuz_sha.error();
  auto config_sha = sha256_file(work.path() / "config");
  if (!config_sha) return config_sha.error();
  st = write_file_atomic(work.path() / "meta.json",
                         meta_json(sel, r, *vmlinuz_sha, *config_sha, got).dump(2) + "\n");
  if (!st) return st.error();

  std::error_code ec;
  TempPath old;  // an older build under the same ABI, removed once replaced
  if (fs::exists(dir, ec)) {
    old = TempPath(temp_path_for(root / "kernels" / ("." + dir.filename().string() + ".old")));
    fs::rename(dir, old.path(), ec);
    if (ec) return make_error("cannot replace " + dir.string() + ": " + ec.message());
  }
  fs::rename(work.path(), dir, ec);
  if (ec) return make_error("cannot move the kernel into " + dir.string() + ": " + ec.message());
  work.release();
  return got;
}

}  // namespace

std::string Selector::text() const {
  return "debian:" + suite + "/" + package + (arch == "amd64" ? "" : "@" + arch);
}

Result<Selector> parse_selector(std::string_view text) {
  const std::string orig(text);
  constexpr std::string_view kPrefix = "debian:";
  if (!text.starts_with(kPrefix)) {
    return make_error("bad kernel selector \"" + orig + "\": expected debian:<suite>/<package>[@<arch>]");
  }
  text.remove_prefix(kPrefix.size());
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return make_error("bad kernel selector \"" + orig + "\": no '/' between suite and package "
                      "(e.g. debian:bookworm/linux-image-amd64)");
  }
  Selector s;
  s.suite = std::string(text.substr(0, slash));
  std::string_view rest = text.substr(slash + 1);
  size_t at = rest.find('@');
  s.package = std::string(rest.substr(0, at));
  if (at != std::string_view::npos) s.arch = std::string(rest.substr(at + 1));
  if (!valid_token(s.suite, "-")) {
    return make_error("bad kernel selector \"" + orig + "\": suite \"" + s.suite +
                      "\" is not a suite name (like bookworm, trixie or sid)");
  }
  if (!valid_token(s.package, "+-.") || s.package.size() < 2) {
    return make_error("bad kernel selector \"" + orig + "\": package \"" + s.package +
                      "\" is not a Debian package name");
  }
  if (!valid_token(s.arch, "") ) {
    return make_error("bad kernel selector \"" + orig + "\": architecture \"" + s.arch +
                      "\" is not a Debian architecture (like amd64 or arm64)");
  }
  return s;
}

void touch_last_used(const fs::path& dir) {
  // Best effort: a read-only cache still works, gc just sees older stamps.
  (void)write_file_atomic(dir / "last-used", std::to_string(std::time(nullptr)) + "\n");
}

namespace {

// Brings the resolved kernel into the cache (or finds it there).
Result<FetchedKernel> fetch_resolved(const Selector& sel, const KernelResolution& res, const ArchiveAccess& access,
                                     FetchedKernel out) {
  const fs::path& root = access.root;
  out.id = "debian-" + sel.suite + "-" + res.abi;
  const fs::path dir = root / "kernels" / out.id;
  auto lock = FileLock::acquire(root / "locks" / (out.id + ".lock"));
  if (!lock) return lock.error();
  std::string why;
  if (auto meta = cached_kernel(dir, res, access.fetch_mode, &why)) {
    out.from_cache = true;
    out.verified = meta->value("verified", kVerifiedSha256);
    out.package_size = meta->value("package_size", uint64_t{0});
  } else if (access.offline) {
    return make_error(sel.text() + ": offline (KGRID_OFFLINE) and " + out.id + " is not in " +
                      (root / "kernels").string() + (why.empty() ? "" : " (" + why + ")"));
  } else {
    if (!why.empty()) access.say(out.id + ": fetching again: " + why);
    auto got = install_kernel(sel, res, access, dir);
    if (!got) return got.error();
    out.verified = got->verified;
    out.bytes_fetched = got->bytes_fetched;
    out.package_size = got->package_size;
  }
  if (out.verified != kVerifiedSha256) {
    out.warnings.push_back(out.id + ": fetched partially: vmlinuz and config were checked against the md5sums "
                           "inside the package (which catch corruption, not tampering); the package's SHA-256 "
                           "from the signed index was not checked (fetch with --fetch verified to check it)");
  }
  touch_last_used(dir);
  out.image = dir / "vmlinuz";
  out.config = dir / "config";
  out.release = res.abi;
  out.suite = sel.suite;
  out.package = res.package;
  out.version = res.version;
  out.arch = sel.arch;
  return out;
}

}  // namespace

Result<FetchedKernel> fetch_debian(const Selector& sel, const FetchOptions& opts) {
  auto access = archive_access(opts);
  if (!access) return access.error();
  FetchedKernel out;
  const IndexLocation loc = index_location(*access, sel.suite, sel.arch);
  std::optional<KernelResolution> res;
  {
    auto lock = FileLock::acquire(index_lock_path(*access, sel.suite, sel.arch));
    if (!lock) return lock.error();
    auto r = resolve(sel, *access, loc, &out.warnings);
    if (!r) return r.error();
    res = std::move(*r);
  }
  return fetch_resolved(sel, *res, *access, std::move(out));
}

Result<FetchedKernel> fetch_catalog_entry(const CatalogEntry& entry, const FetchOptions& opts) {
  auto access = archive_access(opts);
  if (!access) return access.error();
  Selector sel{entry.suite, entry.package, entry.arch};
  return fetch_resolved(sel, entry.resolution, *access, FetchedKernel{});
}

}  // namespace kgrid::kernels
