// The catalog: every kernel the Debian archive offers, one entry per ABI,
// read from the verified Packages indexes. An ABI's image package is
// linux-image-<abi> (its -unsigned twin only when there is no signed one),
// followed to the package that really holds the image (linux-binary-<abi>
// in the newer layout). The stable id is debian-<suite>-<abi>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kernels/debian/archive.h"
#include "kernels/debian/packages.h"
#include "kernels/debian/query.h"

namespace kgrid::kernels {

struct AbiParts {
  std::string series;  // "6.12"
  std::string flavor;  // "generic", "cloud", "rt", "16k"
};

// "6.1.0-50-cloud-amd64" (arch amd64) -> {"6.1", "cloud"}; nullopt when the
// name is not an ABI of this arch (a metapackage like "amd64", "-dbg").
std::optional<AbiParts> parse_abi(std::string_view abi, std::string_view arch);

struct CatalogEntry {
  std::string id;       // debian-<suite>-<abi>
  std::string suite, arch, abi, series, flavor;
  std::string version;  // of the image package
  std::string package;  // linux-image-<abi>[-unsigned]
  uint64_t size = 0;    // what kgrid downloads: the image package, plus the config package if separate
  KernelResolution resolution;
  std::string selector() const;  // debian:<suite>/<package>[@<arch>]
};

// The kernels of one suite/arch index, ordered by series, flavor and version (newest first).
std::vector<CatalogEntry> catalog_from_index(const PackageIndex& index, const std::string& suite,
                                             const std::string& arch);

// Keeps the entries that match the query's arches, flavors and series, and
// the newest N ABIs of each (suite, arch, flavor, series). Order is kept.
std::vector<CatalogEntry> filter_catalog(const std::vector<CatalogEntry>& entries, const KernelQuery& query);

// Loads (refreshing and verifying) the index of every suite and arch of
// the query and returns the matching kernels. A default suite the mirror
// does not have is a warning; a suite named explicitly must exist.
Result<std::vector<CatalogEntry>> load_catalog(const KernelQuery& query, const FetchOptions& options,
                                               std::vector<std::string>* warnings);

// "debian-bookworm-backports-6.12.43+deb12-amd64" -> suite, abi, arch.
struct KernelId {
  std::string suite, abi, arch;
};
Result<KernelId> parse_kernel_id(std::string_view id);

}  // namespace kgrid::kernels
