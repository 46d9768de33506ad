#include "testrunner/judge.h"

#include <doctest/doctest.h>

using namespace kgrid;
using namespace kgrid::testrunner;

namespace {

plan::Test truth_test() {
  plan::Test t;
  t.name = "modern_bpf";
  t.driver = "modern_bpf";
  t.probe = {"/kgrid/bin/kgrid-probe"};
  t.ready = "kgrid-probe: ready";
  t.gen = {"/kgrid/bin/kgrid-gen"};
  t.expect_exit = 0;
  t.expect_truth = true;
  return t;
}

const char* kTruth =
    "kgrid-gen: pid=57\n"
    "kgrid-gen: syscall nr=110 name=getppid n=5000\n"
    "kgrid-gen: done\n";

Outcome completed(std::string probe_out, std::string gen_out = kTruth) {
  Outcome o;
  o.ending = Ending::Completed;
  o.timeout_s = 60;
  o.probe.started = o.probe.exited = true;
  o.probe.out = "kgrid-probe: ready\n" + probe_out;
  o.gen.started = o.gen.exited = true;
  o.gen.out = std::move(gen_out);
  o.duration_ms = 3000;
  o.load_ms = 800;
  o.gen_ms = 1500;
  o.capture_ms = 2000;
  o.stop_sent = true;
  return o;
}

const char* kGoodProbe =
    "kgrid-probe: stat events=5012 drops=0 lost=0\n"
    "kgrid-probe: count tgid=57 nr=110 n=5000\n"
    "kgrid-probe: count tgid=1 nr=61 n=12\n"
    "kgrid-probe: done\n";

Judgement run(const plan::Test& t, const Outcome& o) {
  return judge(t, o, *make_consumer_format("kgrid"));
}

}  // namespace

TEST_CASE("exact counts for the generator's pid pass") {
  Judgement j = run(truth_test(), completed(kGoodProbe));
  CHECK(j.verdict == "PASS");
  CHECK(j.reason == "");
  CHECK(j.metrics.at("events") == 5012);
  CHECK(j.metrics.at("load_ms") == 800);
  CHECK(j.metrics.at("gen_ms") == 1500);
  CHECK(j.metrics.at("events_per_s") == 3341);  // over the generator's 1.5 s
  CHECK(j.metrics.count("cost.overhead_pct") == 0);
  CHECK(j.warnings.empty());
}

TEST_CASE("events/s: over every generator run while attached, else over the capture window") {
  Outcome o = completed(kGoodProbe);
  o.cost.tried = true;
  o.cost.base_ns = {400, 500, 600};
  o.cost.probe_ns = {900, 500};
  o.cost.attached_ms = 1000;
  o.cost.ms = 1800;
  Judgement j = run(truth_test(), o);
  CHECK(j.verdict == "PASS");
  CHECK(j.metrics.at("events_per_s") == 2005);  // 5012 / (1.5 + 1.0) s
  CHECK(j.metrics.at("cost.base_ns_per_op") == 500);
  CHECK(j.metrics.at("cost.probe_ns_per_op") == 700);
  CHECK(j.metrics.at("cost.overhead_pct") == doctest::Approx(40));
  CHECK(j.metrics.at("cost.ms") == 1800);

  o = completed(kGoodProbe);
  o.gen.started = false;
  o.gen_ms = -1;
  plan::Test t = truth_test();
  t.expect_truth = false;
  CHECK(run(t, o).metrics.at("events_per_s") == 2506);  // over the 2 s capture
}

TEST_CASE("a cost that could not be measured is a warning on a PASS") {
  Outcome o = completed(kGoodProbe);
  o.cost.tried = true;
  o.cost.error = "baseline benchmark exited with exit status 1: kgrid-gen: error getppid: Operation not permitted";
  Judgement j = run(truth_test(), o);
  CHECK(j.verdict == "PASS");
  REQUIRE(j.warnings.size() == 1);
  CHECK(j.warnings[0] == "the driver's cost was not measured: " + o.cost.error);
  CHECK(j.metrics.count("cost.overhead_pct") == 0);
  CHECK(j.metrics.at("cost.ms") == 0);
}

TEST_CASE("no events from the generator's pid fail with numbers") {
  Judgement j = run(truth_test(), completed("kgrid-probe: stat events=3 drops=0 lost=0\n"
                                            "kgrid-probe: count tgid=1 nr=110 n=3\n"
                                            "kgrid-probe: done\n"));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason == "expected 5000 getppid (nr 110) events from pid 57, probe saw 0; events=3 drops=0 lost=0");
}

TEST_CASE("one event too many is as wrong as one too few") {
  Judgement j = run(truth_test(), completed("kgrid-probe: stat events=5001 drops=0 lost=0\n"
                                            "kgrid-probe: count tgid=57 nr=110 n=5001\n"
                                            "kgrid-probe: done\n"));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason.find("probe saw 5001") != std::string::npos);
}

TEST_CASE("drops are named first") {
  Judgement j = run(truth_test(), completed("kgrid-probe: stat events=4990 drops=10 lost=0\n"
                                            "kgrid-probe: count tgid=57 nr=110 n=4990\n"
                                            "kgrid-probe: done\n"));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason.rfind("probe dropped 10 events; expected 5000 getppid (nr 110) events from pid 57, "
                       "probe saw 4990", 0) == 0);
}

TEST_CASE("a stats block without its done line fails") {
  Judgement j = run(truth_test(), completed("kgrid-probe: stat events=5000 drops=0 lost=0\n"
                                            "kgrid-probe: count tgid=57 nr=110 n=5000\n"));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason == "probe printed no complete stats block ('kgrid-probe: done' missing)");
}

TEST_CASE("an unexpected exit status after SIGINT fails, with the probe's stderr") {
  Outcome o = completed(kGoodProbe);
  o.probe.status.code = 1;
  o.probe.err = "warming up\nring buffer poll failed: Bad address\n";
  Judgement j = run(truth_test(), o);
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason == "probe exited with exit status 1 after SIGINT, expected exit 0: warming up | "
                    "ring buffer poll failed: Bad address");
  plan::Test t = truth_test();
  t.expect_exit = 1;
  CHECK(run(t, o).verdict == "PASS");
  o.probe.status = {0, 11};
  CHECK(run(t, o).reason.rfind("probe exited with signal 11", 0) == 0);
}

TEST_CASE("a generator without complete truth fails") {
  Judgement j = run(truth_test(), completed(kGoodProbe, "kgrid-gen: pid=57\n"));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason.find("'kgrid-gen: done' missing") != std::string::npos);
  Outcome o = completed(kGoodProbe);
  o.gen.status.code = 3;
  CHECK(run(truth_test(), o).reason.rfind("generator exited with exit status 3", 0) == 0);
}

TEST_CASE("metric expectations, every operator") {
  std::map<std::string, double> m{{"events", 10}, {"drops", 0}};
  auto ok = [&](const char* op, double v) { return !check_metric({"events", op, v}, m); };
  CHECK(ok("==", 10));
  CHECK_FALSE(ok("==", 9));
  CHECK(ok("!=", 9));
  CHECK_FALSE(ok("!=", 10));
  CHECK(ok(">=", 10));
  CHECK_FALSE(ok(">=", 11));
  CHECK(ok("<=", 10));
  CHECK_FALSE(ok("<=", 9));
  CHECK(ok(">", 9));
  CHECK_FALSE(ok(">", 10));
  CHECK(ok("<", 11));
  CHECK_FALSE(ok("<", 10));
  CHECK(*check_metric({"drops", "==", 0.5}, m) == "expected drops == 0.5, got drops=0");
  CHECK(*check_metric({"nope", ">", 1}, m) == "metric nope was not reported (expected nope > 1)");
}

TEST_CASE("metric expectations decide the verdict") {
  plan::Test t = truth_test();
  t.metrics = {{"drops", "==", 0}, {"load_ms", "<", 500}};
  Judgement j = run(t, completed(kGoodProbe));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason == "expected load_ms < 500, got load_ms=800");
}

TEST_CASE("runs that did not complete") {
  plan::Test t = truth_test();
  Outcome o;
  o.timeout_s = 60;
  o.ending = Ending::TimedOut;
  o.waiting_for = "waiting for 'kgrid-probe: ready'";
  Judgement j = run(t, o);
  CHECK(j.verdict == "TIMEOUT");
  CHECK(j.reason == "timed out after 60s waiting for 'kgrid-probe: ready'");

  o.ending = Ending::ProbeExitedBeforeReady;
  o.probe.status.code = 13;
  o.probe.err = "libbpf: prog 'x': BPF program load failed: Permission denied\n";
  j = run(t, o);
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason == "probe exited with exit status 13 before 'kgrid-probe: ready': "
                    "libbpf: prog 'x': BPF program load failed: Permission denied");

  o.ending = Ending::ProbeIgnoredSigint;
  CHECK(run(t, o).reason == "probe did not exit within 10s of SIGINT");
  o.ending = Ending::ProbeSpawnFailed;
  o.probe.spawn_error = "cannot run /x: No such file or directory";
  CHECK(run(t, o).reason == "probe not started: cannot run /x: No such file or directory");
}

TEST_CASE("numbers print without noise") {
  CHECK(format_number(12) == "12");
  CHECK(format_number(0.5) == "0.5");
  CHECK(format_number(-3) == "-3");
}

TEST_CASE("output expectations decide after the stats, before truth and metrics") {
  plan::Test t = truth_test();
  t.outputs = {{"stdout", true, "^kgrid-probe: stat events=[0-9]+ drops=0"}};
  CHECK(run(t, completed(kGoodProbe)).verdict == "PASS");
  t.outputs = {{"stderr", true, "^attached$"}};
  Judgement j = run(t, completed(kGoodProbe));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason == "no stderr line matches /^attached$/ (stderr was empty)");
}

TEST_CASE("format none: exit status and output decide; a probe that ends by itself") {
  plan::Test t;
  t.name = "hello";
  t.probe = {"/opt/hello"};
  t.format = "none";
  t.stop_when = "exit";
  t.outputs = {{"stdout", true, "^hello from [0-9.]+"}};
  Outcome o;
  o.probe.started = o.probe.exited = true;
  o.probe.out = "hello from 6.1.0\n";
  auto none = make_consumer_format("none");
  CHECK(judge(t, o, *none).verdict == "PASS");
  o.probe.status.code = 3;
  CHECK(judge(t, o, *none).reason == "probe exited with exit status 3, expected exit 0: hello from 6.1.0");
  t.expect_truth = true;
  o.probe.status.code = 0;
  CHECK(judge(t, o, *none).reason == "'expect truth' needs a generator (no 'gen' line in the plan)");
}

TEST_CASE("stop signals other than SIGINT are named in reasons") {
  plan::Test t = truth_test();
  Outcome o = completed(kGoodProbe);
  o.stop_signal = "SIGTERM";
  o.probe.status = {0, 15};
  CHECK(run(t, o).reason.rfind("probe exited with signal 15 (Terminated) after SIGTERM, expected exit 0: ", 0) == 0);
  o.ending = Ending::ProbeIgnoredSigint;
  CHECK(run(t, o).reason == "probe did not exit within 10s of SIGTERM");
}
