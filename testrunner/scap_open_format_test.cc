// The scap-open adapter on real scap-open output (testdata/scap-open/, from
// Falco's libs) and on the older wordings.
#include "testrunner/scap_open_format.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "testrunner/judge.h"

using namespace kgrid;
using namespace kgrid::testrunner;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KGRID_SOURCE_DIR) + "/testrunner/testdata/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

const char* kReady = "* Live capture in progress...";

plan::Test scap_test() {
  plan::Test t;
  t.name = "scap_modern";
  t.driver = "modern_bpf";
  t.probe = {"/kgrid/bin/scap-open", "--modern_bpf", "--num_events", "2000"};
  t.ready = kReady;
  t.format = "scap-open";
  t.pty = true;
  t.stop_when = "exit";
  t.metrics = {{"events", ">=", 2000}, {"drops", "==", 0}};
  return t;
}

// scap-open ran to --num_events and exited 0 by itself.
Outcome exited(std::string out, std::string err, int code, Ending ending = Ending::Completed) {
  Outcome o;
  o.ending = ending;
  o.timeout_s = 60;
  o.probe.started = o.probe.exited = true;
  o.probe.status.code = code;
  o.probe.out = std::move(out);
  o.probe.err = std::move(err);
  o.duration_ms = 4000;
  if (ending == Ending::Completed) {
    o.load_ms = 900;
    o.capture_ms = 2000;
  }
  return o;
}

Judgement run(const plan::Test& t, const Outcome& o) { return judge(t, o, *make_scap_open_format()); }

}  // namespace

TEST_CASE("scap-open, current wording: a real passing capture on 6.1") {
  std::string log = fixture("scap-open/console-modern-pass-6.1.log");
  ProbeReport r = make_scap_open_format()->parse(log, "");
  CHECK(r.done);
  CHECK(r.problems.empty());
  CHECK(r.stats.at("events") == 2000);
  CHECK(r.stats.at("kernel_events") == 2513);
  CHECK(r.stats.at("drops") == 0);
  CHECK(r.stats.at("drops_buffer") == 0);
  CHECK_FALSE(r.has_counts);

  Judgement j = run(scap_test(), exited(log, "", 0));
  INFO(j.reason);
  CHECK(j.verdict == "PASS");
  CHECK(j.warnings.empty());
  CHECK(j.metrics.at("events") == 2000);
  CHECK(j.metrics.at("kernel_events") == 2513);
}

TEST_CASE("scap-open: thresholds decide on its numbers") {
  plan::Test t = scap_test();
  t.metrics = {{"events", ">=", 5000}};
  Judgement j = run(t, exited(fixture("scap-open/console-modern-pass-6.1.log"), "", 0));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason == "expected events >= 5000, got events=2000");
}

TEST_CASE("scap-open: a skeleton the verifier rejects FAILs naming the program and the verifier's words") {
  // libbpf and libpman write to stdout; scap-open's own error goes to stderr.
  std::string log = fixture("console-modern-verifier-fail-6.12.log");
  Judgement j = run(scap_test(), exited(log, " (13)\n", 13, Ending::ProbeExitedBeforeReady));
  INFO(j.reason);
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason.rfind("probe exited with exit status 13 before '* Live capture in progress...': "
                       "libbpf: prog 'signal_deliver': BPF program load failed: Permission denied",
                       0) == 0);
  CHECK(has(j.reason, "verifier log ends: 131: (61) r2 = *(u32 *)(r9 +0) | R9 invalid mem access 'scalar'"));
}

TEST_CASE("scap-open: exit code 95 is a SKIP with scap-open's own reason") {
  Judgement j = run(scap_test(), exited(fixture("scap-open/buffer-dim-error.stdout"),
                                        fixture("scap-open/buffer-dim-error.stderr"), 95,
                                        Ending::ProbeExitedBeforeReady));
  CHECK(j.verdict == "SKIP");
  CHECK(j.reason ==
        "not supported here (scap-open exit 95): the specified per-CPU ring buffer dimension (1000) is not "
        "allowed! Please use a power of 2 and a multiple of the actual page_size (4096)! (95)");
}

TEST_CASE("scap-open: --kmod without the module FAILs with the device error") {
  plan::Test t = scap_test();
  t.probe = {"/kgrid/bin/scap-open", "--kmod"};
  Judgement j = run(t, exited(fixture("scap-open/kmod-no-device.stdout"), fixture("scap-open/kmod-no-device.stderr"),
                              1, Ending::ProbeExitedBeforeReady));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason ==
        "probe exited with exit status 1 before '* Live capture in progress...': error opening device "
        "/dev/scap0. Make sure you have root credentials and that the scap module is loaded: No such file or "
        "directory (1)");
}

TEST_CASE("scap-open: a verifier log for an optional program on a good capture is a warning on a PASS") {
  std::string log = fixture("scap-open/console-modern-pass-6.1.log");
  size_t at = log.find("* OK! modern BPF probe");
  REQUIRE(at != std::string::npos);
  log.insert(at,
             "libbpf: prog 'pf_kernel': BPF program load failed: Invalid argument\r\n"
             "libbpf: prog 'pf_kernel': -- BEGIN PROG LOAD LOG --\r\n"
             "0: R1=ctx() R10=fp0\r\n"
             "attach to unsupported member exceptions_page_fault_kernel\r\n"
             "-- END PROG LOAD LOG --\r\n");
  Judgement j = run(scap_test(), exited(log, "", 0));
  INFO(j.reason);
  CHECK(j.verdict == "PASS");
  REQUIRE(j.warnings.size() == 1);
  CHECK(j.warnings[0] ==
        "a BPF program failed to load but the test passed: libbpf: prog 'pf_kernel': BPF program load "
        "failed: Invalid argument; verifier log ends: 0: R1=ctx() R10=fp0 | attach to unsupported member "
        "exceptions_page_fault_kernel");
}

TEST_CASE("scap-open, older wordings") {
  auto f = make_scap_open_format();
  ProbeReport mid = f->parse(
      "----------------------------- STATS ------------------------------\n"
      "\n[SCAP-OPEN]: General statistics\n"
      "\nEvents correctly captured (SCAP_SUCCESS): 150\n"
      "Seen by driver (kernel side events): 170\n"
      "Number of timeouts: 12\n"
      "[1] n_evts: 170\n"
      "[1] n_drops_buffer_total: 2\n"
      "[1] n_drops: 2\n",
      "");
  CHECK(mid.done);
  CHECK(mid.stats.at("events") == 150);
  CHECK(mid.stats.at("kernel_events") == 170);
  CHECK(mid.stats.at("drops") == 2);
  CHECK(mid.stats.at("drops_buffer") == 2);

  ProbeReport old = f->parse(
      "---------------------- STATS -----------------------\n"
      "Events correctly captured (SCAP_SUCCESS): 99\n"
      "Seen by driver: 120\n"
      "Time elapsed: 3 s\n"
      "Number of dropped events: 4\n"
      "Number of timeouts: 7\n"
      "Number of dropped events caused by full buffer (total / all buffer drops - includes all categories "
      "below, likely higher than sum of syscall categories): 4\n"
      "Number of dropped events caused by full buffer (n_drops_buffer_clone_fork_enter syscall category): 1\n",
      "");
  CHECK(old.done);
  CHECK(old.stats.at("events") == 99);
  CHECK(old.stats.at("kernel_events") == 120);
  CHECK(old.stats.at("drops") == 4);
  CHECK(old.stats.at("drops_buffer") == 4);

  ProbeReport oldest = f->parse("events captured: 10\nseen by driver: 11\nNumber of dropped events: 0\n", "");
  CHECK(oldest.done);
  CHECK(oldest.stats.at("events") == 10);
  CHECK(oldest.stats.at("kernel_events") == 11);

  ProbeReport v2_only = f->parse("Number of `SCAP_SUCCESS` (events correctly captured): 3\n[1] n_evts: 8\n", "");
  CHECK(v2_only.stats.at("kernel_events") == 8);
}

TEST_CASE("scap-open: no stats block (SIGTERM, a crash) is not a pass") {
  plan::Test t = scap_test();
  t.metrics.clear();
  Judgement j = run(t, exited(fixture("scap-open/buffer-dim-error.stdout"), "", 0));
  CHECK(j.verdict == "FAIL");
  CHECK(j.reason ==
        "probe printed no complete stats block ('Number of `SCAP_SUCCESS` (events correctly captured): N' "
        "missing)");
  ProbeReport bad = make_scap_open_format()->parse("Seen by driver: lots\n", "");
  CHECK(bad.problems.size() == 1);
}
