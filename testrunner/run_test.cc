#include "testrunner/run_test.h"

#include <signal.h>

#include <algorithm>
#include <optional>

namespace kgrid::testrunner {
namespace {

constexpr int64_t kKillGraceMs = 2000;

int64_t now() { return guest::monotonic_ms(); }

int signal_number(const std::string& name) {
  if (name == "SIGTERM") return SIGTERM;
  if (name == "SIGHUP") return SIGHUP;
  if (name == "SIGQUIT") return SIGQUIT;
  if (name == "SIGUSR1") return SIGUSR1;
  if (name == "SIGUSR2") return SIGUSR2;
  if (name == "SIGKILL") return SIGKILL;
  return SIGINT;
}

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
  TestRun(const plan::Test& test, const Progress& say, const RunConfig& config)
      : test_(test), say_(say), config_(config), start_(now()),
        deadline_(start_ + int64_t{test.timeout_s} * 1000) {
    outcome_.timeout_s = test.timeout_s;
    outcome_.sigint_grace_s = config.sigint_grace_s;
    outcome_.stop_signal = test.stop_signal;
    outcome_.cost.tried = !config.bench.empty() && cost_applies(test);
  }

  Outcome run() {
    const bool cost = outcome_.cost.tried;
    const int before = base_rounds_before(test_.cost_rounds);
    if (cost && !bench(before, false)) return finish();
    auto probe = Child::spawn(test_.probe, SpawnOptions{test_.pty});
    if (!probe) {
      outcome_.ending = Ending::ProbeSpawnFailed;
      outcome_.probe.spawn_error = probe.error().message;
      return finish();
    }
    probe_started_ = now();
    outcome_.probe.started = true;
    probe_ = &*probe;
    probe_->out().watch_line(test_.ready);
    if (wait_ready() && run_generator() && (!cost || bench(test_.cost_rounds, true)) && stop_probe())
      outcome_.ending = Ending::Completed;
    capture(*probe_, outcome_.probe);
    if (gen_) capture(*gen_, outcome_.gen);
    if (cost && outcome_.ending == Ending::Completed && bench(test_.cost_rounds - before, false))
      report_cost();
    return finish();
  }

 private:
  Outcome finish() {
    outcome_.duration_ms = now() - start_;
    return outcome_;
  }

  std::vector<Child*> children() const {
    std::vector<Child*> all;
    for (Child* c : {probe_, gen_, bench_})
      if (c) all.push_back(c);
    return all;
  }

  // One run of the benchmark with `n` rounds, baseline or attached (the
  // probe consuming). False only if the test timed out. A run that fails
  // ends the measurement with cost.error, not the test; an attached run
  // during which the probe exited is dropped (stop_probe() reports the exit).
  bool bench(int n, bool attached) {
    CostRuns& cost = outcome_.cost;
    if (n <= 0 || !cost.error.empty() || (attached && probe_->reaped())) return true;
    std::vector<std::string> argv = config_.bench;
    argv.insert(argv.end(), {"--bench", std::to_string(test_.cost_ops), "--rounds", std::to_string(n)});
    const char* what = attached ? "attached" : "baseline";
    int64_t run_start = now();
    auto child = Child::spawn(argv);
    if (!child) {
      cost.error = "benchmark not started: " + child.error().message;
      return true;
    }
    bench_ = &*child;
    while (!bench_->finished(now())) {
      if (timed_out(std::string("measuring the driver's cost (") + what + " rounds)")) return false;
      pump(children(), deadline_);
    }
    bench_ = nullptr;
    int64_t ms = child->reaped_at_ms() - run_start;
    cost.ms += ms;
    const ExitStatus& st = child->status();
    auto rounds = parse_bench(child->out().text());
    if (st.signal != 0 || st.code != 0) {
      auto err = last_nonempty_lines(child->err().text(), 1);
      cost.error = std::string(what) + " benchmark exited with " + st.describe() +
                   (err.empty() ? "" : ": " + clip(err[0], 200));
    } else if (!rounds) {
      cost.error = rounds.error().message;
    } else if (!attached || !probe_->reaped()) {
      for (const BenchRound& r : *rounds) {
        (attached ? cost.probe_ns : cost.base_ns).push_back(r.ns_per_op());
        (attached ? cost.probe_wall_ns : cost.base_wall_ns).push_back(r.wall_ns_per_op());
        if (r.relative_cost() > 0) (attached ? cost.probe_rel : cost.base_rel).push_back(r.relative_cost());
        if (attached) {
          cost.chunks += r.chunks;
          cost.preempted += r.preempted;
        }
      }
      if (attached) cost.attached_ms += ms;
    }
    return true;
  }

  void report_cost() {
    std::string text = describe_cost(outcome_.cost);
    if (!outcome_.cost.error.empty()) text = "cost not measured: " + outcome_.cost.error;
    if (!text.empty()) say_("cost: " + text + " (" + std::to_string(outcome_.cost.ms) + " ms)");
  }

  bool timed_out(const std::string& where) {
    if (now() < deadline_) return false;
    outcome_.ending = Ending::TimedOut;
    outcome_.waiting_for = where;
    say_("timeout (" + std::to_string(test_.timeout_s) + "s) " + where + "; killing " +
         (probe_ ? "the probe" : "the benchmark") + (gen_ ? " and the generator" : ""));
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
    outcome_.load_ms = ready_at_ - probe_started_;
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

  // Generator mode: the probe keeps running until the generator is done
  // (and stop_after_s after ready), then gets the stop signal. Exiting on
  // its own before that is a failure.
  bool stop_probe() {
    if (test_.stop_when == "exit") return wait_for_exit();
    int64_t not_before = ready_at_ + int64_t{test_.stop_after_s} * 1000;
    while (now() < not_before && !probe_->reaped()) {
      if (timed_out("capturing until " + std::to_string(test_.stop_after_s) + "s after ready"))
        return false;
      pump(children(), std::min(deadline_, not_before));
    }
    outcome_.capture_ms = now() - ready_at_;
    if (probe_->reaped()) {
      outcome_.ending = Ending::ProbeExitedEarly;
      return false;
    }
    return signal_and_wait();
  }

  // Exit mode: the probe ends by itself; it gets the stop signal only if it
  // is still running stop_after_s after ready (when that is set).
  bool wait_for_exit() {
    int64_t signal_at =
        test_.stop_after_s > 0 ? ready_at_ + int64_t{test_.stop_after_s} * 1000 : INT64_MAX;
    while (!probe_->finished(now())) {
      if (timed_out("waiting for the probe to exit")) return false;
      if (!probe_->reaped() && now() >= signal_at) {
        outcome_.capture_ms = now() - ready_at_;
        say_("probe still running " + std::to_string(test_.stop_after_s) + "s after ready; sending " +
             test_.stop_signal);
        return signal_and_wait();
      }
      pump(children(), std::min(deadline_, signal_at));
    }
    outcome_.capture_ms = probe_->reaped_at_ms() - ready_at_;
    return true;
  }

  bool signal_and_wait() {
    probe_->signal_group(signal_number(test_.stop_signal));
    outcome_.stop_sent = true;
    int64_t grace = now() + int64_t{outcome_.sigint_grace_s} * 1000;
    while (!probe_->finished(now())) {
      if (timed_out("waiting for the probe to exit")) return false;
      if (now() >= grace) {
        outcome_.ending = Ending::ProbeIgnoredSigint;
        say_("probe did not exit within " + std::to_string(outcome_.sigint_grace_s) + "s of " +
             test_.stop_signal + "; killing it");
        kill_all(children());
        return false;
      }
      pump(children(), std::min(deadline_, grace));
    }
    return true;
  }

  const plan::Test& test_;
  const Progress& say_;
  const RunConfig& config_;
  int64_t start_, deadline_, probe_started_ = 0, ready_at_ = 0;
  Outcome outcome_;
  Child* probe_ = nullptr;
  std::optional<Child> gen_storage_;
  Child* gen_ = nullptr;
  Child* bench_ = nullptr;  // the benchmark round running now
};

}  // namespace

Outcome run_test(const plan::Test& test, const Progress& say, const RunConfig& config) {
  return TestRun(test, say, config).run();
}

}  // namespace kgrid::testrunner
