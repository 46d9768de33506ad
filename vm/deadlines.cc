#include "vm/deadlines.h"

#include <limits>

namespace kgrid::host {

std::vector<Due> deadlines_due(const Deadlines& d, const VmMoments& m) {
  std::vector<Due> due;
  // After a panic or oops the crash decides the verdict; the linger only collects its trace.
  if (m.crash_at) due.push_back({EndKind::Exited, d.crash_linger_s, *m.crash_at + d.crash_linger_s});
  if (m.end_at) due.push_back({EndKind::RunDeadline, d.shutdown_s, *m.end_at + d.shutdown_s});
  if (!m.begin_at) due.push_back({EndKind::BootDeadline, d.boot_s, m.started + d.boot_s});
  if (m.test_started_at) {
    double limit = m.test_timeout_s + d.test_grace_s;
    due.push_back({EndKind::TestDeadline, limit, *m.test_started_at + limit});
  }
  due.push_back({EndKind::Inactivity, d.inactivity_s, m.last_output + d.inactivity_s});
  due.push_back({EndKind::RunDeadline, d.run_s, m.started + d.run_s});
  return due;
}

std::optional<Due> expired(const Deadlines& d, const VmMoments& m, double now) {
  for (const Due& due : deadlines_due(d, m))
    if (now >= due.at) return due;
  return std::nullopt;
}

double seconds_to_next_deadline(const Deadlines& d, const VmMoments& m, double now) {
  double next = std::numeric_limits<double>::infinity();
  for (const Due& due : deadlines_due(d, m)) next = std::min(next, due.at - now);
  return next;
}

}  // namespace kgrid::host
