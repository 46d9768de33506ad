// Kernel queries: which Debian kernels a grid or `kernels list` means,
// written as text so the command line and grid files share one form:
//
//   debian:<suites>?series=<list>&flavor=<list>&arch=<list>&newest=<N>
//
//   debian:trixie?series=6.12&flavor=*&newest=2     the 2 newest 6.12 ABIs of each trixie flavor
//   debian:*?arch=amd64                              every amd64 kernel of the default suites
//   debian:bookworm,bookworm-backports?flavor=cloud
//
// Lists are comma-separated; "*" means all. Defaults: arch=amd64, every
// flavor, every series, all ABIs (newest=0). "newest=N" keeps the N newest
// ABIs (by package version) of each (suite, arch, flavor, series).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::kernels {

// bullseye, bookworm, bookworm-backports, trixie, sid, experimental.
const std::vector<std::string>& default_suites();

struct KernelQuery {
  std::vector<std::string> suites;              // empty: default_suites()
  std::vector<std::string> arches{"amd64"};     // empty: amd64 and arm64
  std::vector<std::string> flavors;             // empty: all ("generic", "cloud", "rt", "16k", ...)
  std::vector<std::string> series;              // empty: all ("5.10", "6.1", ...)
  unsigned newest = 0;                          // 0: all ABIs

  bool all_suites() const { return suites.empty(); }
  std::vector<std::string> suite_list() const;  // suites, or the default ones
  std::vector<std::string> arch_list() const;   // arches, or amd64 and arm64
  std::string text() const;                     // the canonical text form
};

// True for text that is a query rather than "debian:<suite>/<package>".
bool is_query(std::string_view text);

// Parses the text form above. Errors name the text and the bad part.
Result<KernelQuery> parse_query(std::string_view text);

// "a,b, c" -> {"a","b","c"}; "*" or "" -> {} (all).
std::vector<std::string> split_list(std::string_view text);

}  // namespace kgrid::kernels
