// Access to the Debian archive as the kernels code uses it: where the cache
// is, which mirror, online or not, and the verified Packages index of one
// suite and architecture, read under that index's lock.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernels/unpack/deb_stream.h"
#include "kernels/debian/debian_index.h"
#include "kernels/debian/packages.h"

namespace kgrid::kernels {

struct FetchOptions {
  std::string mirror;               // empty: $KGRID_MIRROR, then the apt sources
  std::filesystem::path cache_dir;  // empty: kernels::cache_dir()
  bool offline = false;             // true, or KGRID_OFFLINE=1: never use the network
  std::chrono::seconds index_max_age{6 * 3600};
  std::filesystem::path apt_dir = "/etc/apt";
  std::filesystem::path keyring;    // empty: $KGRID_KEYRING, then the Debian archive keyring
  std::function<void(const std::string&)> log;  // progress lines; may be empty
  // How kernel packages are fetched (deb_stream.h); empty: $KGRID_FETCH
  // ("verified" or "partial"), else verified.
  std::optional<FetchMode> fetch_mode;
};

// Whether KGRID_OFFLINE asks for offline mode (set, not empty, not "0").
bool offline_from_env();

struct ArchiveAccess {
  std::filesystem::path root;  // the cache directory
  std::string mirror;          // empty when offline
  bool offline = false;
  FetchMode fetch_mode = FetchMode::Verified;
  IndexPolicy policy;
  FetchOptions options;
  void say(const std::string& line) const {
    if (options.log) options.log(line);
  }
};

// Resolves the cache directory, the fetch mode and (unless offline) the mirror.
Result<ArchiveAccess> archive_access(const FetchOptions& options);

IndexLocation index_location(const ArchiveAccess& access, const std::string& suite, const std::string& arch);
std::filesystem::path index_lock_path(const ArchiveAccess& access, const std::string& suite, const std::string& arch);

struct SuiteIndex {
  IndexLocation location;
  std::string sha256;  // of the verified Packages.xz
  PackageIndex packages;
};

// Refreshes and verifies the index of suite/arch (see ensure_index) and
// loads the packages `keep` accepts, all under the index lock.
Result<SuiteIndex> load_suite_index(const ArchiveAccess& access, const std::string& suite, const std::string& arch,
                                    const PackagesParser::Keep& keep, std::vector<std::string>* warnings);

}  // namespace kgrid::kernels
