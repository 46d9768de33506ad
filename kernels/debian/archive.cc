#include "kernels/debian/archive.h"

#include <cstdlib>

#include "kernels/debian/apt_sources.h"
#include "kernels/cache.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;

bool offline_from_env() {
  const char* v = std::getenv("KGRID_OFFLINE");
  return v && *v && std::string_view(v) != "0";
}

Result<ArchiveAccess> archive_access(const FetchOptions& options) {
  ArchiveAccess a;
  a.options = options;
  a.root = options.cache_dir;
  if (a.root.empty()) {
    auto d = cache_dir();
    if (!d) return d.error();
    a.root = *d;
  }
  a.offline = options.offline || offline_from_env();
  if (options.fetch_mode) {
    a.fetch_mode = *options.fetch_mode;
  } else if (const char* env = std::getenv("KGRID_FETCH"); env && *env) {
    auto mode = parse_fetch_mode(env);
    if (!mode) return make_error("KGRID_FETCH: " + mode.error().message);
    a.fetch_mode = *mode;
  }
  if (!a.offline) {
    auto mirror = find_debian_mirror(options.mirror, options.apt_dir);
    if (!mirror) return mirror.error();
    a.mirror = *mirror;
  }
  a.policy.max_age = options.index_max_age;
  a.policy.keyring = options.keyring;
  a.policy.offline = a.offline;
  return a;
}

IndexLocation index_location(const ArchiveAccess& access, const std::string& suite, const std::string& arch) {
  IndexLocation loc;
  loc.mirror = access.mirror;
  loc.suite = suite;
  loc.arch = arch;
  loc.dir = access.root / "debian" / (suite + "-" + arch);
  return loc;
}

fs::path index_lock_path(const ArchiveAccess& access, const std::string& suite, const std::string& arch) {
  return access.root / "locks" / ("debian-index-" + suite + "-" + arch + ".lock");
}

Result<SuiteIndex> load_suite_index(const ArchiveAccess& access, const std::string& suite, const std::string& arch,
                                    const PackagesParser::Keep& keep, std::vector<std::string>* warnings) {
  SuiteIndex out;
  out.location = index_location(access, suite, arch);
  auto lock = FileLock::acquire(index_lock_path(access, suite, arch));
  if (!lock) return lock.error();
  auto idx = ensure_index(out.location, access.policy);
  if (!idx) return idx.error();
  if (warnings) warnings->insert(warnings->end(), idx->warnings.begin(), idx->warnings.end());
  if (idx->downloaded) access.say("updated the Packages index of " + suite + "/" + arch);
  out.sha256 = idx->sha256;
  auto packages = load_packages(idx->xz, keep);
  if (!packages) return packages.error();
  out.packages = std::move(*packages);
  return out;
}

}  // namespace kgrid::kernels
