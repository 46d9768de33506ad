// The pool with real processes: /bin/sh "VMs", pipes, process groups and
// signals. Its policy (deadlines, order, failures) is tested on a fake clock
// in pool_test.cc.
#include "vm/scheduler.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "vm/test_console.h"

using namespace kgrid::host;
using kgrid::host::testing::FakeConsole;
using kgrid::host::testing::kNonce;
using kgrid::results::Verdict;

namespace {

struct Recorder : RunObserver {
  std::map<size_t, VmOutcome> outcomes;
  int started_count = 0;
  size_t max_running = 0, running = 0;
  std::vector<size_t> started_order;
  void started(size_t job) override {
    started_order.push_back(job);
    ++started_count;
    max_running = std::max(max_running, ++running);
  }
  void finished(size_t job, const VmOutcome& o) override {
    if (running) --running;
    outcomes[job] = o;
  }
};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("kgrid-sched-" + std::to_string(getpid()) + "-" +
                                                     std::to_string(rand()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// A fake VM: prints a recorded console, then runs `tail` (e.g. "sleep 100" or "exit 0").
VmJob fake_vm(const TempDir& dir, const std::string& id, const std::string& console, const std::string& tail) {
  auto script = dir.path / (id + ".console");
  std::ofstream(script, std::ios::binary) << console;
  VmJob job;
  job.id = id;
  job.argv = {"/bin/sh", "-c", "cat '" + script.string() + "'; " + tail};
  job.nonce = kNonce;
  job.planned_tests = 1;
  job.console_log = dir.path / (id + ".log");
  job.deadlines.boot_s = 2;
  job.deadlines.inactivity_s = 2;
  job.deadlines.test_grace_s = 1;
  job.deadlines.shutdown_s = 1;
  job.deadlines.run_s = 20;
  return job;
}

// Alive and not a zombie (an orphan may wait a while for its reaper).
bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  if (text.empty()) return false;
  size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

}  // namespace

TEST_CASE("the pool runs VMs in parallel up to the limit and keeps their consoles") {
  TempDir dir;
  std::vector<VmJob> jobs;
  for (int i = 0; i < 5; ++i)
    jobs.push_back(fake_vm(dir, "k" + std::to_string(i), FakeConsole().passing_run().str(), "sleep 0.2; exit 0"));
  Recorder rec;
  auto result = run_pool(jobs, 2, rec);
  CHECK_FALSE(result.interrupted);
  CHECK(rec.started_count == 5);
  CHECK(rec.max_running == 2);
  for (int i = 0; i < 5; ++i) {
    CHECK(rec.outcomes[i].judgement.verdict == Verdict::Pass);
    CHECK(std::filesystem::file_size(jobs[i].console_log) == FakeConsole().passing_run().str().size());
  }
}

TEST_CASE("a VM that hangs in a test is killed as TIMEOUT, with its whole process group") {
  TempDir dir;
  FakeConsole c;
  c.record("BEGIN", {}).record("TEST_START", {{"name", "modern_bpf"}, {"timeout_s", "1"}});
  // The fake VM leaves a grandchild behind in its process group and keeps talking,
  // so only the test deadline (1s + 1s grace) can end it.
  auto pidfile = dir.path / "grandchild.pid";
  auto job = fake_vm(dir, "hang", c.str(),
                     "sleep 1000 & echo $! > '" + pidfile.string() + "'; while true; do echo tick; sleep 0.3; done");
  Recorder rec;
  run_pool({job}, 1, rec);
  const auto& o = rec.outcomes[0];
  CHECK(o.judgement.verdict == Verdict::Timeout);
  CHECK(o.judgement.reason.find("test modern_bpf still running") != std::string::npos);
  CHECK(o.duration_s < 10);
  pid_t grandchild = 0;
  std::ifstream(pidfile) >> grandchild;
  REQUIRE(grandchild > 0);
  ::usleep(100000);
  CHECK_FALSE(process_alive(grandchild));
}

TEST_CASE("a missing QEMU binary is INFRA_ERROR, not a crash") {
  VmJob job;
  job.id = "noqemu";
  job.argv = {"/nonexistent/qemu-system-x86_64"};
  job.planned_tests = 1;
  Recorder rec;
  run_pool({job}, 1, rec);
  CHECK(rec.outcomes[0].judgement.verdict == Verdict::InfraError);
  CHECK(rec.outcomes[0].judgement.reason.find("No such file") != std::string::npos);
}

TEST_CASE("SIGINT stops every VM and reports every job") {
  TempDir dir;
  std::vector<VmJob> jobs;
  for (int i = 0; i < 4; ++i) {
    FakeConsole c;
    c.record("BEGIN", {});
    jobs.push_back(fake_vm(dir, "int" + std::to_string(i), c.str(), "while true; do echo tick; sleep 0.2; done"));
    jobs.back().deadlines.boot_s = jobs.back().deadlines.inactivity_s = 60;
  }
  Recorder rec;
  std::thread interrupter([] {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // the pool's signalfd must get it
    ::usleep(700000);
    ::kill(::getpid(), SIGINT);
  });
  auto result = run_pool(jobs, 2, rec);
  interrupter.join();
  CHECK(result.interrupted);
  CHECK(result.signal_name == "SIGINT");
  REQUIRE(rec.outcomes.size() == 4);
  for (auto& [i, o] : rec.outcomes) {
    CHECK(o.judgement.verdict == Verdict::InfraError);
    CHECK(o.judgement.reason.find("interrupted") != std::string::npos);
  }
  CHECK(rec.running == 0);
}
