// Debian kernels: "debian:<suite>/<package>[@<arch>]" selectors and fetching
// the kernel image and config they name into the cache:
//
//   <cache>/kernels/debian-<suite>-<abi>/vmlinuz
//   <cache>/kernels/debian-<suite>-<abi>/config
//   <cache>/kernels/debian-<suite>-<abi>/meta.json
//
// The .deb files are downloaded, checked against the index's SHA-256,
// unpacked (vmlinuz and config only) and deleted. A cached kernel needs no
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

namespace kgrid::kernels {

struct Selector {
  std::string suite;    // "bookworm"
  std::string package;  // "linux-image-amd64"
  std::string arch = "amd64";

  std::string text() const;  // "debian:bookworm/linux-image-amd64[@arch]"
};

// Accepts "debian:<suite>/<package>" and "debian:<suite>/<package>@<arch>".
Result<Selector> parse_selector(std::string_view text);

struct FetchOptions {
  std::string mirror;               // empty: $KGRID_MIRROR, then the apt sources
  std::filesystem::path cache_dir;  // empty: kernels::cache_dir()
  bool offline = false;             // true, or KGRID_OFFLINE=1: never use the network
  std::chrono::seconds index_max_age{6 * 3600};
  std::filesystem::path apt_dir = "/etc/apt";
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

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

// Whether KGRID_OFFLINE asks for offline mode (set, not empty, not "0").
bool offline_from_env();

}  // namespace kgrid::kernels
