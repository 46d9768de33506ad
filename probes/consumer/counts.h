// Per-(tgid, syscall nr) counts and the report kgrid-probe prints at exit
// (format: docs/design.md, "Probe and generator output").
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace kgrid::probe {

class Counts {
 public:
  void add(uint32_t tgid, int32_t nr) {
    ++by_key_[(uint64_t{tgid} << 32) | static_cast<uint32_t>(nr)];
    ++events_;
  }
  uint64_t events() const { return events_; }
  uint64_t get(uint32_t tgid, int32_t nr) const;

  // "stat" line, then one "count" line per (tgid, nr) sorted by tgid then nr,
  // then "done". `lost` counts records the consumer received but could not use.
  std::string report(uint64_t drops, uint64_t lost) const;

 private:
  std::unordered_map<uint64_t, uint64_t> by_key_;
  uint64_t events_ = 0;
};

}  // namespace kgrid::probe
