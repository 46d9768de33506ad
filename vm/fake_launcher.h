// Test support: a Launcher and a Clock with no process and no sleep. Each
// job id has a script (console bytes at given seconds after launch, an exit
// time); wait() jumps the fake clock to the next scripted moment, so the
// pool's deadlines are exercised to the exact second, in microseconds.
#pragma once

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vm/launcher.h"
#include "vm/scheduler.h"

namespace kgrid::host::testing {

class FakeClock : public Clock {
 public:
  double now() override { return t; }
  double t = 1000;
};

struct FakeVm {
  std::vector<std::pair<double, std::string>> console;  // (seconds after launch, bytes)
  std::string qemu_stderr;                              // printed at launch
  std::optional<double> exit_at;                        // seconds after launch; none: runs until stopped
  ExitStatus status;
  std::optional<std::string> launch_error;
};

class FakeLauncher : public Launcher {
 public:
  FakeLauncher(FakeClock& clock, std::map<std::string, FakeVm> scripts) : clock_(clock), scripts_(std::move(scripts)) {}

  // Optional: a signal to kgrid, or a failure of wait(), at a clock time.
  std::optional<std::pair<double, std::string>> signal_at, wait_error_at;

  std::vector<std::string> launched;  // job ids, in order
  std::vector<std::string> killed;    // job ids stopped while still running
  size_t max_running = 0;

  Result<size_t> launch(const VmJob& job) override {
    const FakeVm& script = scripts_.at(job.id);
    if (script.launch_error) return make_error(*script.launch_error);
    launched.push_back(job.id);
    Running r{job.id, &script, clock_.now(), 0, false, false};
    running_.emplace(next_, r);
    max_running = std::max(max_running, running_.size());
    return next_++;
  }

  Status wait(double timeout_s, std::vector<LaunchEvent>& events) override {
    double until = clock_.now() + timeout_s;
    double next = std::numeric_limits<double>::infinity();
    for (auto& [h, r] : running_) next = std::min(next, next_moment(r));
    if (signal_at) next = std::min(next, signal_at->first);
    if (wait_error_at) next = std::min(next, wait_error_at->first);
    if (next > until) {
      clock_.t = until;
      return ok_status();
    }
    clock_.t = std::max(clock_.t, next);
    if (wait_error_at && wait_error_at->first <= clock_.t) return make_error(wait_error_at->second);
    if (signal_at && signal_at->first <= clock_.t) {
      events.push_back({LaunchEvent::Kind::Signal, 0, signal_at->second, {}});
      signal_at.reset();
      return ok_status();
    }
    for (auto& [h, r] : running_) {
      if (!r.stderr_sent && !r.script->qemu_stderr.empty()) {
        events.push_back({LaunchEvent::Kind::Stderr, h, r.script->qemu_stderr, {}});
        r.stderr_sent = true;
      }
      std::string bytes;
      while (r.next_line < r.script->console.size() &&
             r.launched_at + r.script->console[r.next_line].first <= clock_.t)
        bytes += r.script->console[r.next_line++].second;
      if (!bytes.empty()) events.push_back({LaunchEvent::Kind::Stdout, h, bytes, {}});
      if (!r.exited && r.script->exit_at && r.launched_at + *r.script->exit_at <= clock_.t &&
          r.next_line == r.script->console.size()) {
        r.exited = true;
        events.push_back({LaunchEvent::Kind::Exited, h, {}, r.script->status});
      }
    }
    return ok_status();
  }

  LaunchEnd stop(size_t h) override {
    LaunchEnd end;
    auto it = running_.find(h);
    if (it == running_.end()) return end;
    if (!it->second.exited) {
      killed.push_back(it->second.id);
      end.status.signal = 9;
    } else {
      end.status = it->second.script->status;
    }
    running_.erase(it);
    return end;
  }

 private:
  struct Running {
    std::string id;
    const FakeVm* script;
    double launched_at;
    size_t next_line;
    bool exited, stderr_sent;
  };
  double next_moment(const Running& r) const {
    if (!r.stderr_sent && !r.script->qemu_stderr.empty()) return r.launched_at;
    if (r.next_line < r.script->console.size()) return r.launched_at + r.script->console[r.next_line].first;
    if (!r.exited && r.script->exit_at) return r.launched_at + *r.script->exit_at;
    return std::numeric_limits<double>::infinity();
  }

  FakeClock& clock_;
  std::map<std::string, FakeVm> scripts_;
  std::map<size_t, Running> running_;
  size_t next_ = 0;
};

// A recorded console played back one line every `step_s` seconds.
inline std::vector<std::pair<double, std::string>> paced(const std::string& console, double step_s,
                                                         double from_s = 0.5) {
  std::vector<std::pair<double, std::string>> out;
  size_t start = 0;
  double t = from_s;
  while (start < console.size()) {
    size_t nl = console.find('\n', start);
    size_t end = nl == std::string::npos ? console.size() : nl + 1;
    out.emplace_back(t, console.substr(start, end - start));
    t += step_s;
    start = end;
  }
  return out;
}

}  // namespace kgrid::host::testing
