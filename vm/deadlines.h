// The deadlines of one VM, as one table: which limit applies from which
// moment. "Has a deadline expired?" and "how long until the next one?" are
// read from the same table, so they cannot disagree. Pure: times are seconds
// on the pool's clock, passed in.
#pragma once

#include <optional>
#include <vector>

#include "vm/verdict.h"

namespace kgrid::host {

struct Deadlines {
  double boot_s = 90;        // QEMU start until init's BEGIN record
  double inactivity_s = 90;  // no console output at all
  double test_grace_s = 20;  // beyond a test's own timeout_s
  double run_s = 900;        // the whole VM
  double shutdown_s = 15;    // END record until QEMU exits
  double crash_linger_s = 3; // after a panic/oops line, to collect the trace
};

// What the pool has seen of one VM, in clock seconds.
struct VmMoments {
  double started = 0;
  double last_output = 0;
  std::optional<double> begin_at, end_at, crash_at, test_started_at;
  int test_timeout_s = 0;  // the running test's own timeout_s
};

struct Due {
  EndKind kind;    // how the VM ends when this one expires
  double limit_s;  // the limit, as the verdict reports it
  double at;       // the clock time it expires
};

// Every deadline that applies now, in the order they outrank each other:
// a crash's linger, the shutdown after END, boot, the running test,
// console inactivity, the whole run.
std::vector<Due> deadlines_due(const Deadlines& d, const VmMoments& m);

// The first deadline (in that order) that has expired at `now`.
std::optional<Due> expired(const Deadlines& d, const VmMoments& m, double now);

// Seconds from `now` until the earliest deadline (negative if one is past).
double seconds_to_next_deadline(const Deadlines& d, const VmMoments& m, double now);

}  // namespace kgrid::host
