#include "counts.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>
#include <vector>

namespace kgrid::probe {

uint64_t Counts::get(uint32_t tgid, int32_t nr) const {
  auto it = by_key_.find((uint64_t{tgid} << 32) | static_cast<uint32_t>(nr));
  return it == by_key_.end() ? 0 : it->second;
}

std::string Counts::report(uint64_t drops, uint64_t lost) const {
  std::vector<std::pair<uint64_t, uint64_t>> rows(by_key_.begin(), by_key_.end());
  // Sort by tgid, then by signed nr (so nr=-1 comes first).
  auto order = [](uint64_t k) {
    return std::pair{static_cast<uint32_t>(k >> 32), static_cast<int32_t>(static_cast<uint32_t>(k))};
  };
  std::sort(rows.begin(), rows.end(),
            [&](const auto& a, const auto& b) { return order(a.first) < order(b.first); });

  std::string out;
  char line[128];
  snprintf(line, sizeof line, "kgrid-probe: stat events=%" PRIu64 " drops=%" PRIu64 " lost=%" PRIu64 "\n",
           events_, drops, lost);
  out += line;
  for (const auto& [key, n] : rows) {
    auto [tgid, nr] = order(key);
    snprintf(line, sizeof line, "kgrid-probe: count tgid=%" PRIu32 " nr=%" PRId32 " n=%" PRIu64 "\n", tgid,
             nr, n);
    out += line;
  }
  out += "kgrid-probe: done\n";
  return out;
}

}  // namespace kgrid::probe
