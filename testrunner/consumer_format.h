// How a consumer (the probe's user-space side) reports what it saw. kgrid's
// own format is the first; other consumers (Falco's scap-open stats block)
// plug in here without touching the judging.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kgrid::testrunner {

struct ProbeReport {
  bool done = false;                      // the stats block is complete
  std::map<std::string, double> stats;    // events, drops, lost, ...
  std::map<std::pair<long, long>, uint64_t> counts;  // (tgid, syscall nr) -> events
  bool has_counts = false;                // the format reports per-pid counts at all
  std::vector<std::string> problems;      // malformed lines, a person should see them
};

class ConsumerFormat {
 public:
  virtual ~ConsumerFormat() = default;
  virtual std::string_view name() const = 0;
  // The line that says what is missing when done is false.
  virtual std::string_view done_marker() const = 0;
  virtual ProbeReport parse(std::string_view out, std::string_view err) const = 0;
};

// "kgrid": the reference consumer kgrid-probe (docs/design.md):
//   kgrid-probe: stat events=<n> drops=<n> lost=<n>
//   kgrid-probe: count tgid=<pid> nr=<nr> n=<count>
//   kgrid-probe: done
std::unique_ptr<ConsumerFormat> make_consumer_format(std::string_view name);

}  // namespace kgrid::testrunner
