#include "vm/verdict.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "vm/test_console.h"

using namespace kgrid::host;
using kgrid::host::testing::FakeConsole;
using kgrid::host::testing::kNonce;
using kgrid::results::Verdict;

namespace {

Judgement judge_text(const std::string& text, VmEnd end = VmEnd{}, size_t planned = 1) {
  ConsoleMonitor m(kNonce);
  m.feed(text);
  m.flush();
  return judge(m, end, planned);
}

std::string read_fixture(const std::string& name) {
  const char* shared = std::getenv("KGRID_SHARED_DIR");
  std::string dir = shared ? shared : std::string(KGRID_SOURCE_DIR) + "/../shared";
  std::ifstream in(dir + "/fixtures/scap-open/" + name, std::ios::binary);
  INFO("fixture dir: " << dir << " (set KGRID_SHARED_DIR to point elsewhere)");
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

TEST_CASE("a complete run passes") {
  auto j = judge_text(FakeConsole().text("[    0.000000] Linux version 6.1.0").passing_run().str());
  CHECK(j.verdict == Verdict::Pass);
  CHECK(j.reason.empty());
  REQUIRE(j.tests.size() == 1);
  CHECK(j.tests[0].metrics.at("events") == 10042);
  CHECK(j.init_s == doctest::Approx(1.8));
}

TEST_CASE("a failing test fails the kernel and gives its reason") {
  FakeConsole c;
  c.record("BEGIN", {{"init_ms", "1"}});
  c.record("TEST", {{"name", "modern_bpf"}, {"verdict", "FAIL"}, {"reason", "expected 5000 getppid events from pid 57, saw 0"}});
  c.record("END", {{"tests", "1"}, {"status", "ok"}});
  auto j = judge_text(c.str());
  CHECK(j.verdict == Verdict::Fail);
  CHECK(j.reason == "modern_bpf: expected 5000 getppid events from pid 57, saw 0");
}

TEST_CASE("a missing END record is never a PASS") {
  FakeConsole c;
  c.record("BEGIN", {});
  c.record("TEST_START", {{"name", "modern_bpf"}, {"timeout_s", "60"}});
  c.record("TEST", {{"name", "modern_bpf"}, {"verdict", "PASS"}});
  auto j = judge_text(c.str());
  CHECK(j.verdict == Verdict::Fail);
  CHECK(j.reason.find("without an END record") != std::string::npos);

  VmEnd timeout;
  timeout.kind = EndKind::Inactivity;
  timeout.deadline_s = 90;
  CHECK(judge_text(c.str(), timeout).verdict == Verdict::Timeout);
}

TEST_CASE("END that counts more tests than arrived fails") {
  FakeConsole c;
  c.record("BEGIN", {});
  c.record("TEST", {{"name", "a"}, {"verdict", "PASS"}});
  c.record("END", {{"tests", "2"}, {"status", "ok"}});
  auto j = judge_text(c.str(), VmEnd{}, 2);
  CHECK(j.verdict == Verdict::Fail);
  CHECK(j.reason.find("expected 2 test result(s)") != std::string::npos);
}

TEST_CASE("records with a single damaged copy still count; both damaged lose the record") {
  FakeConsole good;
  good.passing_run();
  std::string text = good.str();
  // Damage the first copy of every record: the second copy carries it.
  std::string damaged;
  size_t pos = 0;
  bool first_copy = true;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos + 1);
    if (line.rfind("KGRID1|", 0) == 0 && first_copy) line.insert(20, "[ 2.0] usb 1-1: new");
    if (line.rfind("KGRID1|", 0) == 0) first_copy = !first_copy;
    damaged += line;
    pos = nl + 1;
  }
  auto j = judge_text(damaged);
  CHECK(j.verdict == Verdict::Pass);
  CHECK_FALSE(j.warnings.empty());

  FakeConsole one_copy;
  one_copy.record("BEGIN", {}, 1).record("TEST", {{"name", "m"}, {"verdict", "PASS"}}, 1);
  one_copy.text("KGRID1|00c0ffee00c0ffee|2|END|status=ok tests=1|deadbeef");
  CHECK(judge_text(one_copy.str()).verdict != Verdict::Pass);
}

TEST_CASE("a forged record without the nonce is ignored") {
  kgrid::protocol::Record r;
  r.nonce = "1111111111111111";
  r.type = "BEGIN";
  std::string forged = kgrid::protocol::encode(r);
  r.seq = 1;
  r.type = "TEST";
  r.fields = {{"name", "modern_bpf"}, {"verdict", "PASS"}};
  forged += kgrid::protocol::encode(r);
  r.seq = 2;
  r.type = "END";
  r.fields = {{"tests", "1"}, {"status", "ok"}};
  forged += kgrid::protocol::encode(r);
  CHECK(judge_text(forged).verdict == Verdict::BootFail);
}

TEST_CASE("kernel panics, oopses and BUGs become PANIC with the message") {
  FakeConsole c;
  c.record("BEGIN", {});
  c.record("TEST_START", {{"name", "kmod"}, {"timeout_s", "60"}});
  c.text("[   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000008");
  c.text("[   12.345700] #PF: supervisor read access in kernel mode");
  c.text("[   12.345800] Kernel panic - not syncing: Fatal exception");
  auto j = judge_text(c.str());
  CHECK(j.verdict == Verdict::Panic);
  CHECK(j.reason == "BUG: kernel NULL pointer dereference, address: 0000000000000008 during test kmod");

  auto early = judge_text("[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n");
  CHECK(early.verdict == Verdict::Panic);
  CHECK(early.reason.find("VFS: Unable to mount root fs") != std::string::npos);

  // Even after a complete passing run, an oops makes the kernel PANIC.
  FakeConsole after;
  after.passing_run().text("[   20.0] Oops: general protection fault, probably for non-canonical address");
  CHECK(judge_text(after.str()).verdict == Verdict::Panic);
}

TEST_CASE("text that merely mentions BUG or panic is not a crash") {
  FakeConsole c;
  c.text("kgrid: probe stderr: BUG: this is the probe talking");
  c.text("[    3.0] systemd: Kernel panic - not syncing is not what this says");
  c.passing_run();
  CHECK(judge_text(c.str()).verdict == Verdict::Pass);
}

TEST_CASE("silence, early exits and QEMU errors get the right verdict") {
  VmEnd boot;
  boot.kind = EndKind::BootDeadline;
  boot.deadline_s = 90;
  auto j = judge_text("[    0.0] Linux version 6.1\n[    0.1] Decompressing\n", boot);
  CHECK(j.verdict == Verdict::BootFail);
  CHECK(j.reason == "init did not speak within 90s; last console line: 'Decompressing'");

  VmEnd qemu_error;
  qemu_error.exit_code = 1;
  qemu_error.qemu_stderr = "qemu-system-x86_64: -kernel /x: could not load kernel\n";
  auto q = judge_text("", qemu_error);
  CHECK(q.verdict == Verdict::InfraError);
  CHECK(q.reason.find("could not load kernel") != std::string::npos);

  VmEnd spawn;
  spawn.kind = EndKind::SpawnFailed;
  spawn.detail = "cannot run qemu-system-x86_64: No such file or directory";
  CHECK(judge_text("", spawn).verdict == Verdict::InfraError);
}

TEST_CASE("recorded scap-open consoles without kgrid records are never a PASS") {
  for (const char* name : {"console-modern-pass-6.1.log", "console-modern-verifier-fail-6.12.log"}) {
    auto j = judge_text(read_fixture(name));
    CHECK(j.verdict != Verdict::Pass);
  }
}

TEST_CASE("random garbage on the console neither crashes nor passes") {
  std::mt19937 rng(1234);
  for (int round = 0; round < 50; ++round) {
    std::string junk;
    for (int i = 0; i < 5000; ++i) junk += static_cast<char>(rng() & 0xff);
    if (round % 2) junk += "KGRID1|" + junk.substr(0, 200) + "\n";
    auto j = judge_text(FakeConsole().text(junk).str());
    CHECK(j.verdict != Verdict::Pass);
  }
}

TEST_CASE("combine: worst test wins, skips alone give SKIP") {
  using kgrid::results::TestResult;
  TestResult pass{"a", "", Verdict::Pass, "", {}, ""}, skip{"b", "", Verdict::Skip, "no BTF", {}, ""},
      fail{"c", "", Verdict::Fail, "x", {}, ""};
  CHECK(combine_tests({pass, skip}) == Verdict::Pass);
  CHECK(combine_tests({skip}) == Verdict::Skip);
  CHECK(combine_tests({pass, fail, skip}) == Verdict::Fail);
  CHECK(combine_tests({}) == Verdict::Fail);
}

TEST_CASE("a test's warning= field becomes a kernel warning on a PASS") {
  FakeConsole c;
  c.record("BEGIN", {});
  c.record("TEST", {{"name", "scap_modern"}, {"verdict", "PASS"},
                    {"warning", "a BPF program failed to load but the test passed: libbpf: prog 'x': ..."}});
  c.record("END", {{"tests", "1"}, {"status", "ok"}});
  auto j = judge_text(c.str());
  CHECK(j.verdict == Verdict::Pass);
  REQUIRE(j.warnings.size() == 1);
  CHECK(j.warnings[0] == "scap_modern: a BPF program failed to load but the test passed: libbpf: prog 'x': ...");
}

TEST_CASE("the driver's cost metrics (dotted names) arrive as test metrics") {
  FakeConsole c;
  c.record("BEGIN", {{"init_ms", "2345"}});
  c.record("TEST", {{"name", "modern_bpf"}, {"verdict", "PASS"}, {"m.cost.overhead_pct", "171.4"},
                    {"m.cost.base_ns_per_op", "404.2"}, {"m.events_per_s", "50712"}, {"m.cost.ms", "x"}});
  c.record("END", {{"tests", "1"}, {"status", "ok"}});
  auto j = judge_text(c.str());
  REQUIRE(j.tests.size() == 1);
  CHECK(j.tests[0].metrics.at("cost.overhead_pct") == doctest::Approx(171.4));
  CHECK(j.tests[0].metrics.at("cost.base_ns_per_op") == doctest::Approx(404.2));
  CHECK(j.tests[0].metrics.at("events_per_s") == 50712);
  CHECK(j.tests[0].metrics.count("cost.ms") == 0);  // not a number: left out
  CHECK(j.init_s == doctest::Approx(2.345));         // boot to init, for KernelResult::init_s
}
