#include "vm/verdict.h"

#include <fmt/format.h>

#include <cstdlib>

namespace kgrid::host {
namespace {

using results::TestResult;
using results::Verdict;

std::string last_line(const ConsoleMonitor& console) {
  if (console.tail().empty()) return "the console stayed silent";
  std::string line = console.tail().back();
  if (line.size() > 160) line = line.substr(0, 157) + "...";
  return "last console line: '" + line + "'";
}

std::string first_line(const std::string& text) {
  std::string s = text.substr(0, text.find('\n'));
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string last_nonempty_line(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n ");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

TestResult test_from_record(const protocol::Record& r) {
  TestResult t;
  t.name = r.get("name");
  t.driver = r.get("driver");
  auto v = results::parse_verdict(r.get("verdict"));
  t.verdict = v ? *v : Verdict::Fail;
  t.reason = v ? r.get("reason") : "unknown verdict '" + r.get("verdict") + "' from the guest";
  for (const auto& [key, value] : r.fields) {
    if (key.rfind("m.", 0) != 0) continue;
    char* endp = nullptr;
    double d = std::strtod(value.c_str(), &endp);
    if (endp && *endp == '\0' && !value.empty()) t.metrics[key.substr(2)] = d;
  }
  // A guest may only claim verdicts a test can have.
  if (t.verdict != Verdict::Pass && t.verdict != Verdict::Fail && t.verdict != Verdict::Skip &&
      t.verdict != Verdict::Timeout) {
    t.reason = "guest reported verdict " + r.get("verdict") + " for a test; " + t.reason;
    t.verdict = Verdict::Fail;
  }
  if (t.verdict != Verdict::Pass && t.reason.empty()) t.reason = "no reason given by the guest";
  return t;
}

std::string crash_reason(const KernelCrash& crash, const protocol::Record* running) {
  std::string where = running ? fmt::format(" during test {}", running->get("name")) : "";
  return crash.message + where;
}

}  // namespace

Verdict combine_tests(const std::vector<TestResult>& tests) {
  if (tests.empty()) return Verdict::Fail;
  Verdict worst = Verdict::Pass;
  bool all_skip = true;
  for (const auto& t : tests) {
    if (t.verdict != Verdict::Skip) all_skip = false;
    if (t.verdict != Verdict::Skip && t.verdict > worst) worst = t.verdict;
  }
  if (all_skip) return Verdict::Skip;
  return worst;
}

Judgement judge(const ConsoleMonitor& console, const VmEnd& end, size_t planned_tests) {
  Judgement j;
  j.warnings = console.warnings();
  if (console.corrupt_records() > 0)
    j.warnings.push_back(fmt::format("{} damaged protocol record(s) on the console were ignored",
                                     console.corrupt_records()));

  for (const auto& r : console.records()) {
    if (r.type != "TEST") continue;
    j.tests.push_back(test_from_record(r));
    // A test that passed with something worth a look (e.g. an optional BPF
    // program the verifier rejected) makes a kernel warning.
    if (std::string w = r.get("warning"); !w.empty()) j.warnings.push_back(r.get("name") + ": " + w);
  }

  const protocol::Record* begin = console.find_first("BEGIN");
  const protocol::Record* finish = console.find_first("END");
  const protocol::Record* running = console.running_test();
  if (begin) {
    j.init_s = std::atof(begin->get("init_ms").c_str()) / 1000.0;
    std::string failed = begin->get("mounts_failed");
    if (!failed.empty()) j.warnings.push_back("init could not mount: " + failed);
  }

  if (end.kind == EndKind::SpawnFailed) {
    j.verdict = Verdict::InfraError;
    j.reason = "QEMU could not be started: " + end.detail;
    return j;
  }
  if (end.kind == EndKind::EngineFailed) {
    j.verdict = Verdict::InfraError;
    j.reason = "stopped: " + end.detail;
    return j;
  }
  // A crash in the kernel outranks everything the guest said.
  if (console.crash()) {
    j.verdict = Verdict::Panic;
    j.reason = crash_reason(*console.crash(), running);
    return j;
  }
  if (end.kind == EndKind::Interrupted) {
    j.verdict = Verdict::InfraError;
    j.reason = "interrupted (" + end.detail + ") before the kernel finished";
    return j;
  }
  if (!begin) {
    if (end.kind == EndKind::Exited && console.bytes_seen() == 0 && (end.exit_code != 0 || end.signal)) {
      j.verdict = Verdict::InfraError;
      std::string err = last_nonempty_line(end.qemu_stderr);
      j.reason = fmt::format("QEMU exited with status {} before any output{}", end.exit_code,
                             err.empty() ? "" : ": " + err);
      return j;
    }
    j.verdict = Verdict::BootFail;
    if (end.kind == EndKind::BootDeadline || end.kind == EndKind::Inactivity || end.kind == EndKind::RunDeadline)
      j.reason = fmt::format("init did not speak within {:.0f}s; {}", end.deadline_s, last_line(console));
    else
      j.reason = "the VM stopped before init spoke; " + last_line(console);
    return j;
  }
  if (!finish) {
    if (end.kind == EndKind::Exited) {
      j.verdict = Verdict::Fail;
      std::string last = console.last_record() ? console.last_record()->type : "none";
      if (running) last = "TEST_START " + running->get("name");
      j.reason = fmt::format("the guest stopped without an END record (last record: {}); {}", last,
                             last_line(console));
      return j;
    }
    j.verdict = Verdict::Timeout;
    std::string what = end.kind == EndKind::TestDeadline ? "test deadline"
                     : end.kind == EndKind::Inactivity  ? "no console output"
                                                        : "kernel deadline";
    std::string where = running ? fmt::format("test {} still running", running->get("name"))
                                : fmt::format("after record {}", console.last_record()->type);
    j.reason = fmt::format("{} ({:.0f}s): {}; {}", what, end.deadline_s, where, last_line(console));
    return j;
  }

  if (end.kind != EndKind::Exited)
    j.warnings.push_back("the guest finished but QEMU did not exit by itself; it was killed");
  std::string status = finish->get("status");
  if (status == "plan_error") {
    j.verdict = Verdict::InfraError;
    j.reason = "the guest could not read kgrid's plan: " + finish->get("reason");
    return j;
  }
  if (status != "ok") {
    j.verdict = Verdict::Fail;
    j.reason = "testrunner failed: " + finish->get("reason", status);
    return j;
  }
  size_t announced = static_cast<size_t>(std::atoi(finish->get("tests").c_str()));
  if (announced != planned_tests || j.tests.size() != planned_tests) {
    j.verdict = Verdict::Fail;
    j.reason = fmt::format("expected {} test result(s), the guest announced {} and {} arrived intact",
                           planned_tests, announced, j.tests.size());
    return j;
  }
  j.verdict = combine_tests(j.tests);
  for (const auto& t : j.tests) {
    if (t.verdict == j.verdict && t.verdict != Verdict::Pass) {
      j.reason = t.name + ": " + first_line(t.reason);
      break;
    }
  }
  return j;
}

}  // namespace kgrid::host
