// Debian kernels: "debian:<suite>/<package>[@<arch>]" selectors and fetching
// the kernel image and config they name into the cache:
//
//   <cache>/kernels/debian-<suite>-<abi>/vmlinuz
//   <cache>/kernels/debian-<suite>-<abi>/config
//   <cache>/kernels/debian-<suite>-<abi>/meta.json
//
// The suite's InRelease signature and the index hash are checked first (see
// debian_index.h); the .deb files are downloaded, checked against the
// index's SHA-256, unpacked (vmlinuz and config only) and deleted. A cached kernel needs no
// network except the Packages index refresh (every 6 hours by default);
// offline mode (FetchOptions::offline or KGRID_OFFLINE=1) needs none at all.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kernels/archive.h"
#include "kernels/catalog.h"

namespace kgrid::kernels {

struct Selector {
  std::string suite;    // "bookworm"
  std::string package;  // "linux-image-amd64"
  std::string arch = "amd64";

  std::string text() const;  // "debian:bookworm/linux-image-amd64[@arch]"
};

// Accepts "debian:<suite>/<package>" and "debian:<suite>/<package>@<arch>".
Result<Selector> parse_selector(std::string_view text);

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
  std::vector<std::string> warnings;
};

Result<FetchedKernel> fetch_debian(const Selector& selector, const FetchOptions& options = {});

// Fetches a kernel the catalog already resolved (no second index pass).
Result<FetchedKernel> fetch_catalog_entry(const CatalogEntry& entry, const FetchOptions& options = {});

// Marks a cached kernel (or headers) directory as used now, for `kernels gc`.
void touch_last_used(const std::filesystem::path& dir);

}  // namespace kgrid::kernels
