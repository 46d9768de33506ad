// The cached Debian Packages index of one suite and architecture, and the
// cached resolution of package names against it:
//
//   <cache>/debian/<suite>-<arch>/InRelease              signed; refreshed when older than max_age
//   <cache>/debian/<suite>-<arch>/Packages.xz            checked against InRelease's SHA256
//   <cache>/debian/<suite>-<arch>/resolved/<package>.json  keyed by the index's SHA-256
//
// The chain of trust is apt's: InRelease must carry a good signature by a
// key of the archive keyring (gpgv), Packages.xz must have the SHA-256 and
// size that the signed text lists, and each .deb must have the SHA-256 the
// index lists. Every use of a cached index checks the first two links again
// (a gpgv run and a hash of ~10 MB), so a damaged cache is never trusted.
// A failed check is an error and leaves nothing new in the cache.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernels/debian/packages.h"

namespace kgrid::kernels {

struct IndexLocation {
  std::string mirror;  // base URL, no trailing '/'
  std::string suite;
  std::string arch;
  std::filesystem::path dir;  // <cache>/debian/<suite>-<arch>

  std::string inrelease_url() const;  // <mirror>/dists/<suite>/InRelease
  std::string index_name() const;     // main/binary-<arch>/Packages.xz, as InRelease lists it
  std::string url() const;            // <mirror>/dists/<suite>/main/binary-<arch>/Packages.xz
  std::string by_hash_url(std::string_view sha256) const;  // .../binary-<arch>/by-hash/SHA256/<sha256>
  std::filesystem::path xz_path() const { return dir / "Packages.xz"; }
  std::filesystem::path inrelease_path() const { return dir / "InRelease"; }
  std::filesystem::path resolution_path(std::string_view package) const;
};

struct CachedIndex {
  std::filesystem::path xz;
  std::string sha256;   // of Packages.xz, as the signed InRelease lists it
  bool downloaded = false;
  std::vector<std::string> warnings;  // a failed refresh (the cached index is used), an expired Valid-Until
};

struct IndexPolicy {
  std::chrono::seconds max_age{6 * 3600};
  std::filesystem::path keyring;  // see archive_keyring()
  bool offline = false;           // use the cached index only (still verified)
};

// Makes sure a verified index is cached: downloads InRelease when it is
// missing or older than max_age, checks its signature, and downloads
// Packages.xz (by hash when the suite offers it) unless the cached one
// already has the listed SHA-256. If only the network fails and a verified
// copy exists, that copy is used with a warning; a failed signature or hash
// check is always an error. The caller holds the index lock.
Result<CachedIndex> ensure_index(const IndexLocation& loc, const IndexPolicy& policy);

// Checks `inrelease` (signature, suite name) and `xz` against it. Returns the
// SHA-256 of xz. This is the hook the fetch path calls for every index.
Result<std::string> verify_index_signature(const IndexLocation& loc, const std::filesystem::path& inrelease,
                                           const std::filesystem::path& xz, const std::filesystem::path& keyring,
                                           std::vector<std::string>* warnings);

// Streams Packages.xz and keeps the packages `keep` accepts (all if empty).
Result<PackageIndex> load_packages(const std::filesystem::path& xz, const PackagesParser::Keep& keep);
// Keeps only kernel packages (is_kernel_package_name).
Result<PackageIndex> load_kernel_packages(const std::filesystem::path& xz);

struct CachedResolution {
  KernelResolution resolution;
  std::string index_sha256;
};

Status save_resolution(const std::filesystem::path& path, const CachedResolution& r);
// nullopt when the file does not exist; an error when it is damaged.
Result<std::optional<CachedResolution>> load_resolution(const std::filesystem::path& path);

}  // namespace kgrid::kernels
