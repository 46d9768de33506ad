// The cached Debian Packages index of one suite and architecture, and the
// cached resolution of package names against it:
//
//   <cache>/debian/<suite>-<arch>/Packages.xz            refreshed when older than max_age
//   <cache>/debian/<suite>-<arch>/resolved/<package>.json  keyed by the index's SHA-256
//
// TODO(kgrid): verify the index against the suite's signed InRelease file
// (gpgv with the Debian archive keyring) before trusting its SHA256 fields.
// The hook is verify_index_signature() below; today it accepts everything.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "common/result.h"
#include "kernels/packages.h"

namespace kgrid::kernels {

struct IndexLocation {
  std::string mirror;  // base URL, no trailing '/'
  std::string suite;
  std::string arch;
  std::filesystem::path dir;  // <cache>/debian/<suite>-<arch>

  std::string url() const;  // <mirror>/dists/<suite>/main/binary-<arch>/Packages.xz
  std::filesystem::path xz_path() const { return dir / "Packages.xz"; }
  std::filesystem::path resolution_path(std::string_view package) const;
};

struct CachedIndex {
  std::filesystem::path xz;
  std::string sha256;   // of Packages.xz
  bool downloaded = false;
  std::string warning;  // set when a refresh failed and the old index is used
};

// Downloads the index when it is missing or older than max_age. If a
// refresh fails but an older copy exists, that copy is used with a warning.
// The caller holds the index lock.
Result<CachedIndex> ensure_index(const IndexLocation& loc, std::chrono::seconds max_age);

// Hook for the signature check (see the TODO above). Accepts all for now.
Status verify_index_signature(const IndexLocation& loc, const std::filesystem::path& xz);

// Streams Packages.xz and keeps only kernel packages (is_kernel_package_name).
Result<PackageIndex> load_kernel_packages(const std::filesystem::path& xz);

struct CachedResolution {
  KernelResolution resolution;
  std::string index_sha256;
};

Status save_resolution(const std::filesystem::path& path, const CachedResolution& r);
// nullopt when the file does not exist; an error when it is damaged.
Result<std::optional<CachedResolution>> load_resolution(const std::filesystem::path& path);

}  // namespace kgrid::kernels
