#include "testrunner/run_test.h"

#include <signal.h>

#include <algorithm>
#include <optional>

namespace kgrid::testrunner {
namespace {

constexpr int64_t kKillGraceMs = 2000;

int64_t now() { return guest::monotonic_ms(); }

void capture(Child& child, ProgramRun& run) {
  run.exited = child.reaped();
  run.status = child.status();
  run.out = child.out().text();
  run.err = child.err().text();
}

// Kills the groups and collects what they wrote, waiting a bounded time.
void kill_all(const std::vector<Child*>& children) {
  for (Child* c : children) c->signal_group(SIGKILL);
  int64_t deadline = now() + kKillGraceMs;
  auto all_done = [&] {
    return std::all_of(children.begin(), children.end(),
                       [&](Child* c) { return c->finished(now()); });
  };
  while (!all_done() && now() < deadline) pump(children, deadline);
}

class TestRun {
 public:
  TestRun(const plan::Test& test, const Progress& say, int grace_s)
      : test_(test), say_(say), start_(now()), deadline_(start_ + int64_t{test.timeout_s} * 1000) {
    outcome_.timeout_s = test.timeout_s;
    outcome_.sigint_grace_s = grace_s;
  }

  Outcome run() {
    auto probe = Child::spawn(test_.probe);
    if (!probe) {
      outcome_.ending = Ending::ProbeSpawnFailed;
      outcome_.probe.spawn_error = probe.error().message;
      return finish();
    }
    outcome_.probe.started = true;
    probe_ = &*probe;
    probe_->out().watch_line(test_.ready);
    if (wait_ready() && run_generator() && stop_probe()) outcome_.ending = Ending::Completed;
    capture(*probe_, outcome_.probe);
    if (gen_) capture(*gen_, outcome_.gen);
    return finish();
  }

 private:
  Outcome finish() {
    outcome_.duration_ms = now() - start_;
    return outcome_;
  }

  std::vector<Child*> children() const {
    std::vector<Child*> all{probe_};
    if (gen_) all.push_back(gen_);
    return all;
  }

  bool timed_out(const std::string& where) {
    if (now() < deadline_) return false;
    outcome_.ending = Ending::TimedOut;
    outcome_.waiting_for = where;
    say_("timeout (" + std::to_string(test_.timeout_s) + "s) " + where + "; killing the probe" +
         (gen_ ? " and the generator" : ""));
    kill_all(children());
    return true;
  }

  bool wait_ready() {
    std::string where = "waiting for '" + test_.ready + "'";
    while (!test_.ready.empty() && !probe_->out().seen_line()) {
      if (probe_->finished(now())) {
        outcome_.ending = Ending::ProbeExitedBeforeReady;
        return false;
      }
      if (timed_out(where)) return false;
      pump({probe_}, deadline_);
    }
    ready_at_ = now();
    outcome_.load_ms = ready_at_ - start_;
    say_("probe ready after " + std::to_string(outcome_.load_ms) + " ms");
    return true;
  }

  bool run_generator() {
    if (test_.gen.empty()) return true;
    auto gen = Child::spawn(test_.gen);
    if (!gen) {
      outcome_.gen.spawn_error = gen.error().message;
      say_(outcome_.gen.spawn_error);
      return true;  // still stop the probe cleanly; judge() fails the test
    }
    gen_storage_.emplace(std::move(*gen));
    gen_ = &*gen_storage_;
    outcome_.gen.started = true;
    int64_t gen_start = now();
    while (!gen_->finished(now())) {
      if (timed_out("generator running")) return false;
      pump(children(), deadline_);
    }
    outcome_.gen_ms = gen_->reaped_at_ms() - gen_start;
    say_("generator finished in " + std::to_string(outcome_.gen_ms) + " ms (" +
         gen_->status().describe() + ")");
    return true;
  }

  bool stop_probe() {
    outcome_.capture_ms = now() - ready_at_;
    if (probe_->reaped()) {
      outcome_.ending = Ending::ProbeExitedEarly;
      return false;
    }
    probe_->signal_group(SIGINT);
    int64_t grace = now() + int64_t{outcome_.sigint_grace_s} * 1000;
    while (!probe_->finished(now())) {
      if (timed_out("waiting for the probe to exit")) return false;
      if (now() >= grace) {
        outcome_.ending = Ending::ProbeIgnoredSigint;
        say_("probe did not exit within " + std::to_string(outcome_.sigint_grace_s) +
             "s of SIGINT; killing it");
        kill_all(children());
        return false;
      }
      pump(children(), std::min(deadline_, grace));
    }
    return true;
  }

  const plan::Test& test_;
  const Progress& say_;
  int64_t start_, deadline_, ready_at_ = 0;
  Outcome outcome_;
  Child* probe_ = nullptr;
  std::optional<Child> gen_storage_;
  Child* gen_ = nullptr;
};

}  // namespace

Outcome run_test(const plan::Test& test, const Progress& say, int sigint_grace_s) {
  return TestRun(test, say, sigint_grace_s).run();
}

}  // namespace kgrid::testrunner
