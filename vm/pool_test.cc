// The pool's policy on a fake clock: consoles replayed by FakeLauncher, the
// deadlines checked to the second, no process and no sleep. The mechanism
// (process groups, pipes, signals) is covered by scheduler_test.cc.
#include <doctest/doctest.h>

#include <map>

#include "vm/fake_launcher.h"
#include "vm/scheduler.h"
#include "vm/test_console.h"

using namespace kgrid::host;
using namespace kgrid::host::testing;
using kgrid::results::Verdict;

namespace {

struct Recorder : RunObserver {
  std::map<size_t, VmOutcome> outcomes;
  std::map<size_t, int> finished_count;
  std::vector<size_t> started_order;
  size_t running = 0, max_running = 0;
  void started(size_t job) override {
    started_order.push_back(job);
    max_running = std::max(max_running, ++running);
  }
  void finished(size_t job, const VmOutcome& o) override {
    if (running) --running;
    outcomes[job] = o;
    ++finished_count[job];
  }
};

VmJob job(const std::string& id) {
  VmJob j;
  j.id = id;
  j.nonce = kNonce;
  j.planned_tests = 1;
  return j;  // default deadlines: boot 90, inactivity 90, grace 20, shutdown 15, run 900
}

FakeVm passing(double exit_at = 5) {
  FakeVm vm;
  vm.console = paced(FakeConsole().passing_run().str(), 0.5);
  vm.exit_at = exit_at;
  return vm;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("fake clock: VMs run up to the limit, in the order given, each reported once by its own index") {
  FakeClock clock;
  std::map<std::string, FakeVm> scripts;
  std::vector<VmJob> jobs;
  for (int i = 0; i < 5; ++i) {
    jobs.push_back(job("k" + std::to_string(i)));
    scripts["k" + std::to_string(i)] = passing(5 + i);  // after the console's last line (4 s)
  }
  scripts["k1"].launch_error = "No such file or directory: /nonexistent/qemu";
  FakeLauncher launcher(clock, scripts);
  Recorder rec;
  auto result = run_pool(jobs, 2, rec, {4, 3, 2, 1, 0}, launcher, clock);
  CHECK_FALSE(result.interrupted);
  CHECK(rec.started_order == std::vector<size_t>{4, 3, 2, 1, 0});
  CHECK(launcher.max_running == 2);
  CHECK(rec.max_running == 2);
  CHECK(launcher.killed.empty());
  for (size_t i = 0; i < 5; ++i) CHECK(rec.finished_count[i] == 1);
  CHECK(rec.outcomes[1].judgement.verdict == Verdict::InfraError);
  CHECK(contains(rec.outcomes[1].judgement.reason, "/nonexistent/qemu"));
  for (size_t i : {0, 2, 3, 4}) {
    CHECK(rec.outcomes[i].judgement.verdict == Verdict::Pass);
    CHECK(rec.outcomes[i].duration_s == doctest::Approx(5 + i));
    CHECK(rec.outcomes[i].boot_s == doctest::Approx(0.5));
  }

  Recorder bad;  // not a permutation: the jobs' own order
  FakeLauncher again(clock, scripts);
  run_pool(jobs, 1, bad, {2, 2, 0, 1, 3}, again, clock);
  CHECK(bad.started_order == std::vector<size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("fake clock: a kernel that never reaches init is BOOT_FAIL at exactly the boot deadline") {
  FakeClock clock;
  FakeVm silent;
  silent.console = {{0.2, "[    0.0] Linux version 9.9\r\n"}, {1.0, "Probing EDD\r\n"}};
  FakeLauncher launcher(clock, {{"silent", silent}});
  Recorder rec;
  auto j = job("silent");
  j.deadlines.boot_s = 42;
  run_pool({j}, 1, rec, {}, launcher, clock);
  const VmOutcome& o = rec.outcomes[0];
  CHECK(o.judgement.verdict == Verdict::BootFail);
  CHECK(o.judgement.reason == "init did not speak within 42s; last console line: 'Probing EDD'");
  CHECK(o.end.kind == EndKind::BootDeadline);
  CHECK(o.end.deadline_s == 42);
  CHECK(o.duration_s == doctest::Approx(42));
  CHECK(launcher.killed == std::vector<std::string>{"silent"});
}

TEST_CASE("fake clock: a test that keeps talking is stopped at its own timeout plus the grace") {
  FakeClock clock;
  FakeConsole c;
  c.record("BEGIN", {}).record("TEST_START", {{"name", "modern_bpf"}, {"timeout_s", "30"}});
  FakeVm vm;
  vm.console = paced(c.str(), 0.5);  // TEST_START at 1.5 s (two copies of BEGIN first)
  for (int i = 1; i < 200; ++i) vm.console.push_back({1.5 + i * 5.0, "tick\r\n"});
  FakeLauncher launcher(clock, {{"hang", vm}});
  Recorder rec;
  run_pool({job("hang")}, 1, rec, {}, launcher, clock);
  const VmOutcome& o = rec.outcomes[0];
  CHECK(o.judgement.verdict == Verdict::Timeout);
  CHECK(contains(o.judgement.reason, "test modern_bpf still running"));
  CHECK(o.end.kind == EndKind::TestDeadline);
  CHECK(o.end.deadline_s == 50);
  CHECK(o.duration_s == doctest::Approx(1.0 + 50).epsilon(0.02));
}

TEST_CASE("fake clock: silence after init is TIMEOUT after the inactivity limit") {
  FakeClock clock;
  FakeConsole c;
  c.record("BEGIN", {});
  FakeVm vm;
  vm.console = paced(c.str(), 0.5);
  FakeLauncher launcher(clock, {{"quiet", vm}});
  Recorder rec;
  auto j = job("quiet");
  j.deadlines.inactivity_s = 30;
  run_pool({j}, 1, rec, {}, launcher, clock);
  const VmOutcome& o = rec.outcomes[0];
  CHECK(o.end.kind == EndKind::Inactivity);
  CHECK(o.judgement.verdict == Verdict::Timeout);
  CHECK(o.duration_s == doctest::Approx(1.0 + 30));
}

TEST_CASE("fake clock: a guest that finishes but never powers off gets its verdict after shutdown_s") {
  FakeClock clock;
  FakeVm vm = passing();
  vm.exit_at.reset();
  FakeLauncher never(clock, {{"nopoweroff", vm}});
  Recorder rec;
  run_pool({job("nopoweroff")}, 1, rec, {}, never, clock);
  const VmOutcome& o = rec.outcomes[0];
  CHECK(o.judgement.verdict == Verdict::Pass);
  CHECK_FALSE(o.judgement.warnings.empty());
  double end_at = vm.console.back().first;  // the last END copy
  CHECK(o.duration_s == doctest::Approx(end_at - 0.5 + 15));
}

TEST_CASE("fake clock: after a panic the pool waits crash_linger_s for the trace, then judges PANIC") {
  FakeClock clock;
  FakeConsole c;
  c.record("BEGIN", {}).record("TEST_START", {{"name", "kmod"}, {"timeout_s", "60"}});
  c.text("[   12.0] BUG: kernel NULL pointer dereference, address: 0000000000000000");
  c.text("[   12.0] RIP: 0010:kgrid_kmod_read+0x12/0x40 [kgrid_kmod]");
  FakeVm vm;
  vm.console = paced(c.str(), 0.5);
  FakeLauncher launcher(clock, {{"oops", vm}});
  Recorder rec;
  run_pool({job("oops")}, 1, rec, {}, launcher, clock);
  const VmOutcome& o = rec.outcomes[0];
  CHECK(o.judgement.verdict == Verdict::Panic);
  CHECK(o.judgement.reason == "BUG: kernel NULL pointer dereference, address: 0000000000000000 during test kmod");
  double crash_at = vm.console[vm.console.size() - 2].first;
  CHECK(o.duration_s == doctest::Approx(crash_at - 0.5 + 3).epsilon(0.2));
}

TEST_CASE("fake clock: SIGINT stops every running VM and reports every job, run or not") {
  FakeClock clock;
  std::map<std::string, FakeVm> scripts;
  std::vector<VmJob> jobs;
  for (int i = 0; i < 4; ++i) {
    FakeVm vm;
    FakeConsole c;
    c.record("BEGIN", {});
    vm.console = paced(c.str(), 0.1);
    for (int t = 1; t < 100; ++t) vm.console.push_back({t * 1.0, "tick\r\n"});
    scripts["int" + std::to_string(i)] = vm;
    jobs.push_back(job("int" + std::to_string(i)));
  }
  FakeLauncher launcher(clock, scripts);
  launcher.signal_at = std::make_pair(clock.t + 7, std::string("SIGINT"));
  Recorder rec;
  auto result = run_pool(jobs, 2, rec, {}, launcher, clock);
  CHECK(result.interrupted);
  CHECK(result.signal_name == "SIGINT");
  CHECK(launcher.launched.size() == 2);
  CHECK(launcher.killed.size() == 2);
  REQUIRE(rec.outcomes.size() == 4);
  for (auto& [i, o] : rec.outcomes) {
    CHECK(rec.finished_count[i] == 1);
    CHECK(o.judgement.verdict == Verdict::InfraError);
    CHECK(contains(o.judgement.reason, "interrupted"));
  }
  CHECK(contains(rec.outcomes[3].judgement.reason, "not run"));
  CHECK(rec.running == 0);
}

TEST_CASE("fake clock: when the launcher can no longer watch its VMs, each is stopped and judged, none is lost") {
  FakeClock clock;
  std::map<std::string, FakeVm> scripts;
  std::vector<VmJob> jobs;
  for (int i = 0; i < 3; ++i) {
    FakeVm vm = passing(50);
    scripts["w" + std::to_string(i)] = vm;
    jobs.push_back(job("w" + std::to_string(i)));
  }
  FakeLauncher launcher(clock, scripts);
  launcher.wait_error_at = std::make_pair(clock.t + 10, std::string("ppoll: Bad address"));
  Recorder rec;
  auto result = run_pool(jobs, 2, rec, {}, launcher, clock);
  CHECK_FALSE(result.interrupted);
  CHECK(launcher.killed.size() == 2);
  REQUIRE(rec.outcomes.size() == 3);
  for (auto& [i, o] : rec.outcomes) {
    CHECK(rec.finished_count[i] == 1);
    CHECK(o.judgement.verdict == Verdict::InfraError);
    CHECK(contains(o.judgement.reason, "could not watch its VMs (ppoll: Bad address)"));
  }
  CHECK(contains(rec.outcomes[2].judgement.reason, "not run"));
}
