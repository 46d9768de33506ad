// The mechanism with real processes: /bin/sh scripts stand in for the probe
// and the generator.
#include "testrunner/run_test.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace kgrid;
using namespace kgrid::testrunner;

namespace {

const char* kReady = "kgrid-probe: ready";

plan::Test make(std::string probe_script, std::string gen_script = "", int timeout_s = 10) {
  plan::Test t;
  t.name = "t";
  t.probe = {"/bin/sh", "-c", std::move(probe_script)};
  t.ready = kReady;
  if (!gen_script.empty()) t.gen = {"/bin/sh", "-c", std::move(gen_script)};
  t.timeout_s = timeout_s;
  return t;
}

const char* kGoodProbe =
    "trap 'echo kgrid-probe: stat events=1; echo kgrid-probe: done; exit 0' INT; "
    "echo loading >&2; echo 'kgrid-probe: ready'; while :; do sleep 0.05; done";

// Without a benchmark program: these tests are about the probe and the generator.
Outcome run(const plan::Test& t, int grace_s = 10) {
  return run_test(t, [](std::string_view) {}, RunConfig{grace_s, {}});
}

double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
}

}  // namespace

TEST_CASE("probe ready, generator runs, SIGINT stops the probe") {
  Outcome o = run(make(kGoodProbe, "echo kgrid-gen: pid=$$; echo kgrid-gen: done"));
  CHECK(o.ending == Ending::Completed);
  CHECK(o.probe.exited);
  CHECK(o.probe.status.code == 0);
  CHECK(o.probe.status.signal == 0);
  CHECK(o.probe.out.find("kgrid-probe: done") != std::string::npos);
  CHECK(o.probe.err == "loading\n");
  CHECK(o.gen.out.find("kgrid-gen: done") != std::string::npos);
  CHECK(o.load_ms >= 0);
  CHECK(o.gen_ms >= 0);
  CHECK(o.duration_ms < 5000);
}

TEST_CASE("a probe that exits before ready is caught with its status and stderr") {
  Outcome o = run(make("echo 'libbpf: prog x: failed' >&2; exit 13"));
  CHECK(o.ending == Ending::ProbeExitedBeforeReady);
  CHECK(o.probe.status.code == 13);
  CHECK(o.probe.err == "libbpf: prog x: failed\n");
  CHECK(o.load_ms == -1);
}

TEST_CASE("timeout while waiting for ready kills the probe, without burning CPU") {
  double cpu_before = cpu_ms();
  Outcome o = run(make("sleep 30", "", 1));
  CHECK(o.ending == Ending::TimedOut);
  CHECK(o.waiting_for == "waiting for 'kgrid-probe: ready'");
  CHECK(o.duration_ms >= 1000);
  CHECK(o.duration_ms < 4000);
  CHECK(o.probe.exited);
  CHECK(o.probe.status.signal == 9);
  CHECK(cpu_ms() - cpu_before < 200);
}

TEST_CASE("timeout while the generator runs says so and kills both") {
  Outcome o = run(make(kGoodProbe, "sleep 30", 1));
  CHECK(o.ending == Ending::TimedOut);
  CHECK(o.waiting_for == "generator running");
  CHECK(o.gen.exited);
  CHECK(o.gen.status.signal == 9);
  CHECK(o.duration_ms < 4000);
}

TEST_CASE("a probe that ignores SIGINT is killed after the grace") {
  Outcome o = run(make("trap '' INT; echo 'kgrid-probe: ready'; while :; do sleep 0.05; done"), 1);
  CHECK(o.ending == Ending::ProbeIgnoredSigint);
  CHECK(o.probe.status.signal == 9);
  CHECK(o.duration_ms < 4000);
}

TEST_CASE("a probe that cannot be executed") {
  plan::Test t = make("");
  t.probe = {"/nonexistent/kgrid-probe"};
  Outcome o = run(t);
  CHECK(o.ending == Ending::ProbeSpawnFailed);
  CHECK(o.probe.spawn_error == "cannot run /nonexistent/kgrid-probe: No such file or directory");
}

TEST_CASE("a probe that exits on its own after ready") {
  Outcome o = run(make("echo 'kgrid-probe: ready'; exit 4", "sleep 0.3"));
  CHECK(o.ending == Ending::ProbeExitedEarly);
  CHECK(o.probe.status.code == 4);
}

TEST_CASE("stop_when exit: a one-shot program without ready line or generator") {
  plan::Test t = make("echo hello; echo oops >&2; exit 0");
  t.ready = "";
  t.stop_when = "exit";
  Outcome o = run(t);
  CHECK(o.ending == Ending::Completed);
  CHECK_FALSE(o.stop_sent);
  CHECK(o.probe.out == "hello\n");
  CHECK(o.probe.err == "oops\n");
}

TEST_CASE("stop_when exit: a probe that may finish while the generator runs") {
  plan::Test t = make("echo 'kgrid-probe: ready'; sleep 0.1; echo stats; exit 0", "sleep 0.5");
  t.stop_when = "exit";
  Outcome o = run(t);
  CHECK(o.ending == Ending::Completed);
  CHECK(o.probe.out == "kgrid-probe: ready\nstats\n");
  CHECK(o.gen.exited);
}

TEST_CASE("stop_when exit with stop_after_s: still running at its deadline, it gets the stop signal") {
  plan::Test t = make(kGoodProbe);
  t.stop_when = "exit";
  t.stop_after_s = 1;
  Outcome o = run(t);
  CHECK(o.ending == Ending::Completed);
  CHECK(o.stop_sent);
  CHECK(o.probe.status.code == 0);
  CHECK(o.probe.out.find("kgrid-probe: done") != std::string::npos);
  CHECK(o.capture_ms >= 1000);
  CHECK(o.duration_ms < 4000);
}

TEST_CASE("stop_when exit without stop_after_s: a probe that never ends times out") {
  plan::Test t = make(kGoodProbe, "", 1);
  t.stop_when = "exit";
  Outcome o = run(t);
  CHECK(o.ending == Ending::TimedOut);
  CHECK(o.waiting_for == "waiting for the probe to exit");
}

TEST_CASE("stop_after_s in generator mode keeps capturing; another stop signal") {
  plan::Test t = make("trap 'echo got TERM; exit 0' TERM; echo 'kgrid-probe: ready'; while :; do sleep 0.05; done");
  t.stop_after_s = 1;
  t.stop_signal = "SIGTERM";
  Outcome o = run(t);
  CHECK(o.ending == Ending::Completed);
  CHECK(o.capture_ms >= 1000);
  CHECK(o.stop_sent);
  CHECK(o.probe.out.find("got TERM") != std::string::npos);
}

TEST_CASE("stdout on a pseudo-terminal: stdio line-buffers it, raw (no \\r), stderr stays a pipe") {
  // scap-open never flushes: on a pipe its ready line would only arrive at
  // exit. On a tty, stdio flushes each line.
  plan::Test t = make(
      "trap 'echo kgrid-probe: done; exit 0' INT; "
      "if [ -t 1 ]; then echo stdout-is-a-tty; fi; if [ -t 2 ]; then echo stderr-is-a-tty; fi; "
      "echo 'kgrid-probe: ready'; while :; do sleep 0.05; done",
      "true");
  t.pty = true;
  Outcome o = run(t);
  CHECK(o.ending == Ending::Completed);
  CHECK(o.probe.out == "stdout-is-a-tty\nkgrid-probe: ready\nkgrid-probe: done\n");
  t.pty = false;
  CHECK(run(t).probe.out == "kgrid-probe: ready\nkgrid-probe: done\n");
}

namespace {

// A probe that marks itself attached with a file, and a benchmark that is
// twice as slow while the mark exists: the cost is +100% by construction.
struct CostFixture {
  std::string dir;
  CostFixture() {
    char tmpl[] = "/tmp/kgrid-cost-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~CostFixture() { std::filesystem::remove_all(dir); }

  plan::Test test(int rounds = 3) const {
    plan::Test t = make("trap 'rm -f " + dir + "/attached; echo kgrid-probe: done; exit 0' INT; touch " + dir +
                            "/attached; echo 'kgrid-probe: ready'; while :; do sleep 0.05; done",
                        "echo kgrid-gen: pid=$$; echo kgrid-gen: done");
    t.cost_ops = 1000;
    t.cost_rounds = rounds;
    return t;
  }
  // Called as `bench --bench <ops> --rounds <n>`; logs each run's rounds.
  RunConfig config(const std::string& extra = "") const {
    std::string script = extra + "echo kgrid-gen: pid=$$; if [ -e " + dir +
                         "/attached ]; then ns=$(($2 * 1000)); else ns=$(($2 * 500)); fi; echo $4 >> " + dir +
                         "/runs; i=0; while [ $i -lt $4 ]; do i=$((i + 1)); "
                         "echo \"kgrid-gen: bench syscall=getppid nr=39 ops=$2 ns=$ns\"; done; echo kgrid-gen: done";
    return RunConfig{10, {"/bin/sh", "-c", script, "bench"}};
  }
};

Outcome run_with(const plan::Test& t, const RunConfig& c) { return run_test(t, [](std::string_view) {}, c); }

}  // namespace

TEST_CASE("cost: baseline rounds bracket the attached ones; the probe's load time excludes them") {
  CostFixture f;
  Outcome o = run_with(f.test(3), f.config());
  CHECK(o.ending == Ending::Completed);
  CHECK(o.cost.tried);
  CHECK(o.cost.error == "");
  CHECK(o.cost.base_ns == std::vector<double>{500, 500, 500});  // 2 before, 1 after
  CHECK(o.cost.probe_ns == std::vector<double>{1000, 1000, 1000});
  std::ifstream runs(f.dir + "/runs");
  std::string log((std::istreambuf_iterator<char>(runs)), std::istreambuf_iterator<char>());
  CHECK(log == "2\n3\n1\n");  // one process per phase: before, attached, after
  CHECK(o.cost.attached_ms <= o.cost.ms);
  CHECK(o.cost.ms <= o.duration_ms);
  CHECK(o.load_ms >= 0);
  CHECK(o.load_ms < 1000);
  auto m = cost_metrics(o.cost);
  CHECK(m["cost.overhead_pct"] == 100);
}

TEST_CASE("cost: a failing benchmark is an error in the outcome, not a failed test") {
  CostFixture f;
  Outcome o = run_with(f.test(), f.config("echo nope >&2; exit 3; "));
  CHECK(o.ending == Ending::Completed);
  CHECK(o.cost.tried);
  CHECK(o.cost.error == "baseline benchmark exited with exit status 3: nope");
  CHECK(o.cost.base_ns.empty());
  CHECK(o.cost.probe_ns.empty());

  RunConfig missing{10, {"/nonexistent/kgrid-gen"}};
  o = run_with(f.test(), missing);
  CHECK(o.ending == Ending::Completed);
  CHECK(o.cost.error == "benchmark not started: cannot run /nonexistent/kgrid-gen: No such file or directory");
}

TEST_CASE("cost: off in the plan, or not applicable, runs no benchmark") {
  CostFixture f;
  plan::Test t = f.test();
  t.cost = false;
  CHECK_FALSE(run_with(t, f.config()).cost.tried);
  t = f.test();
  t.stop_when = "exit";
  t.stop_after_s = 1;
  CHECK_FALSE(run_with(t, f.config()).cost.tried);
  t = f.test();
  t.ready = "";
  CHECK_FALSE(cost_applies(t));
}

TEST_CASE("cost: a benchmark that hangs times the test out, killing it") {
  CostFixture f;
  plan::Test t = f.test();
  t.timeout_s = 1;
  Outcome o = run_with(t, f.config("sleep 30; "));
  CHECK(o.ending == Ending::TimedOut);
  CHECK(o.waiting_for == "measuring the driver's cost (baseline rounds)");
  CHECK(o.duration_ms < 4000);
  CHECK_FALSE(o.probe.started);
}
