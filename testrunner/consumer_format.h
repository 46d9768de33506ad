// How a consumer (the probe's user-space side) reports what it saw. Each
// format turns the consumer's output into the same ProbeReport, so judging
// does not depend on who wrote it: "kgrid" (kgrid-probe), "scap-open"
// (Falco's libscap example, see scap_open_format.h) and "none" (a program
// with no stats at all, judged by its exit status and output expectations).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "testrunner/outcome.h"

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
  // When the way the probe ended means "not supported here" (scap-open's
  // exit code 95), the SKIP reason.
  virtual std::optional<std::string> unsupported(const ProgramRun& probe) const {
    (void)probe;
    return std::nullopt;
  }
};

// "kgrid": the reference consumer kgrid-probe (docs/design.md):
//   kgrid-probe: stat events=<n> drops=<n> lost=<n>
//   kgrid-probe: count tgid=<pid> nr=<nr> n=<count>
//   kgrid-probe: done
// "scap-open", "none"; nullptr for an unknown name.
std::unique_ptr<ConsumerFormat> make_consumer_format(std::string_view name);

}  // namespace kgrid::testrunner
