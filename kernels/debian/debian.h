// Debian kernels: "debian:<suite>/<package>[@<arch>]" selectors and fetching
// the kernel image and config they name into the cache:
//
//   <cache>/kernels/debian-<suite>-<abi>/vmlinuz
//   <cache>/kernels/debian-<suite>-<abi>/config
//   <cache>/kernels/debian-<suite>-<abi>/meta.json
//
// The suite's InRelease signature and the index hash are checked first (see
// debian_index.h); vmlinuz and config are unpacked from the .deb files while
// they download (deb_stream.h): in the default "verified" mode the rest of
// each package still comes down to check its SHA-256 against the index
// before anything is cached; in "partial" mode the transfer stops once the
// files are out and they are checked against the package's own md5sums.
// meta.json records which ("verified") and the bytes fetched. A cached
// kernel needs no network except the Packages index refresh (every 6 hours
// by default); offline mode (FetchOptions::offline or KGRID_OFFLINE=1)
// needs none at all.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kernels/debian/archive.h"
#include "kernels/debian/catalog.h"

namespace kgrid::kernels {

struct Selector {
  std::string suite;    // "bookworm"
  std::string package;  // "linux-image-amd64"
  std::string arch = "amd64";

  std::string text() const;  // "debian:bookworm/linux-image-amd64[@arch]"
};

// Accepts "debian:<suite>/<package>" and "debian:<suite>/<package>@<arch>".
Result<Selector> parse_selector(std::string_view text);

// meta.json "verified": the packages' SHA-256 was checked against the
// signed index, or (partial fetch) only their md5sums.
inline constexpr const char* kVerifiedSha256 = "sha256";
inline constexpr const char* kVerifiedPartial = "partial (md5sums in the package; package sha256 not checked)";

struct FetchedKernel {
  std::string id;  // "debian-bookworm-6.1.0-50-amd64"
  std::filesystem::path image;
  std::filesystem::path config;
  std::string release;  // the ABI: "6.1.0-50-amd64"
  std::string suite;
  std::string package;  // as selected: "linux-image-amd64"
  std::string version;  // of the selected package
  std::string arch;     // Debian architecture: "amd64"
  bool from_cache = false;  // no package was downloaded
  std::string verified;     // kVerifiedSha256 or kVerifiedPartial (Debian kernels)
  uint64_t bytes_fetched = 0;  // by this call (0 from the cache)
  uint64_t package_size = 0;   // of the package(s) holding vmlinuz and config
  std::vector<std::string> warnings;
};

Result<FetchedKernel> fetch_debian(const Selector& selector, const FetchOptions& options = {});

// Fetches a kernel the catalog already resolved (no second index pass).
Result<FetchedKernel> fetch_catalog_entry(const CatalogEntry& entry, const FetchOptions& options = {});

// Marks a cached kernel (or headers) directory as used now, for `kernels gc`.
void touch_last_used(const std::filesystem::path& dir);

}  // namespace kgrid::kernels
