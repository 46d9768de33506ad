#include "testrunner/judge.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "testrunner/failure_reason.h"
#include "testrunner/output_check.h"

namespace kgrid::testrunner {
namespace {

std::string with_detail(std::string reason, const std::string& detail) {
  if (!detail.empty()) reason += ": " + detail;
  return reason;
}

std::string probe_detail(const Outcome& o) { return explain_probe_failure(o.probe.err, o.probe.out); }

std::string stat_summary(const ProbeReport& report) {
  std::string out;
  for (const char* key : {"events", "drops", "lost"}) {
    auto it = report.stats.find(key);
    if (it == report.stats.end()) continue;
    if (!out.empty()) out += ' ';
    out += std::string(key) + "=" + format_number(it->second);
  }
  return out;
}

// Reasons for runs that did not complete; nullopt if it completed.
std::optional<Judgement> judge_ending(const plan::Test& test, const Outcome& o) {
  Judgement j;
  j.verdict = "FAIL";
  switch (o.ending) {
    case Ending::Completed:
      return std::nullopt;
    case Ending::ProbeSpawnFailed:
      j.reason = "probe not started: " + o.probe.spawn_error;
      break;
    case Ending::ProbeExitedBeforeReady:
      j.reason = with_detail("probe exited with " + o.probe.status.describe() + " before '" +
                                 test.ready + "'",
                             probe_detail(o));
      break;
    case Ending::ProbeExitedEarly:
      j.reason = with_detail("probe exited with " + o.probe.status.describe() +
                                 (o.gen.started ? " while the generator was running"
                                                : " before " + o.stop_signal),
                             probe_detail(o));
      break;
    case Ending::ProbeIgnoredSigint:
      j.reason = "probe did not exit within " + std::to_string(o.sigint_grace_s) + "s of " + o.stop_signal;
      break;
    case Ending::TimedOut:
      j.verdict = "TIMEOUT";
      j.reason = "timed out after " + std::to_string(o.timeout_s) + "s " + o.waiting_for;
      break;
  }
  return j;
}

bool compare(double a, const std::string& op, double b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == ">=") return a >= b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == "<") return a < b;
  return false;
}

}  // namespace

std::string format_number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<long long>(value));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::map<std::string, double> collect_metrics(const Outcome& o, const ProbeReport& report) {
  std::map<std::string, double> m = report.stats;
  m["duration_ms"] = static_cast<double>(o.duration_ms);
  if (o.load_ms >= 0) m["load_ms"] = static_cast<double>(o.load_ms);
  if (o.gen_ms >= 0) m["gen_ms"] = static_cast<double>(o.gen_ms);
  if (o.capture_ms >= 0) m["capture_ms"] = static_cast<double>(o.capture_ms);
  for (const auto& [name, value] : cost_metrics(o.cost)) m[name] = value;
  // Events over the time a generator ran while the probe was attached (the
  // test's generator and the attached benchmark rounds); without any, over
  // the capture window.
  int64_t attached_gen_ms = std::max<int64_t>(o.gen_ms, 0) + o.cost.attached_ms;
  int64_t window_ms = attached_gen_ms > 0 ? attached_gen_ms : o.capture_ms;
  auto events = report.stats.find("events");
  if (events != report.stats.end() && window_ms > 0)
    m["events_per_s"] = std::round(events->second * 1000.0 / static_cast<double>(window_ms));
  return m;
}

std::optional<std::string> check_truth(const Truth& truth, const ProbeReport& report) {
  if (!report.has_counts) return "the consumer reports no per-pid counts to check the truth against";
  std::string first;
  int mismatches = 0;
  for (const SyscallTruth& s : truth.syscalls) {
    auto it = report.counts.find({truth.pid, s.nr});
    uint64_t seen = it == report.counts.end() ? 0 : it->second;
    if (seen == s.n) continue;
    if (mismatches++ == 0)
      first = "expected " + std::to_string(s.n) + " " + s.name + " (nr " + std::to_string(s.nr) +
              ") events from pid " + std::to_string(truth.pid) + ", probe saw " + std::to_string(seen);
  }
  if (mismatches == 0) return std::nullopt;
  if (mismatches > 1) first += " (and " + std::to_string(mismatches - 1) + " more syscall(s) wrong)";
  auto drops = report.stats.find("drops");
  if (drops != report.stats.end() && drops->second > 0)
    first = "probe dropped " + format_number(drops->second) + " events; " + first;
  std::string stats = stat_summary(report);
  if (!stats.empty()) first += "; " + stats;
  return first;
}

std::optional<std::string> check_metric(const plan::MetricExpectation& e,
                                        const std::map<std::string, double>& metrics) {
  std::string want = e.metric + " " + e.op + " " + format_number(e.value);
  auto it = metrics.find(e.metric);
  if (it == metrics.end()) return "metric " + e.metric + " was not reported (expected " + want + ")";
  if (compare(it->second, e.op, e.value)) return std::nullopt;
  return "expected " + want + ", got " + e.metric + "=" + format_number(it->second);
}

Judgement judge(const plan::Test& test, const Outcome& o, const ConsumerFormat& format) {
  ProbeReport report = format.parse(o.probe.out, o.probe.err);
  if (auto why = format.unsupported(o.probe)) {
    Judgement j;
    j.verdict = "SKIP";
    j.reason = *why;
    j.metrics = collect_metrics(o, report);
    return j;
  }
  if (auto j = judge_ending(test, o)) {
    j->metrics = collect_metrics(o, report);
    return *j;
  }
  Judgement j;
  j.metrics = collect_metrics(o, report);
  auto fail = [&](std::string reason) {
    j.verdict = "FAIL";
    j.reason = std::move(reason);
    return j;
  };

  const ExitStatus& st = o.probe.status;
  if (st.signal != 0 || st.code != test.expect_exit)
    return fail(with_detail("probe exited with " + st.describe() +
                                (o.stop_sent ? " after " + o.stop_signal : "") + ", expected exit " +
                                std::to_string(test.expect_exit),
                            probe_detail(o)));
  if (!o.gen.spawn_error.empty()) return fail("generator not started: " + o.gen.spawn_error);
  if (o.gen.started && (o.gen.status.signal != 0 || o.gen.status.code != 0))
    return fail(with_detail("generator exited with " + o.gen.status.describe(),
                            explain_probe_failure(o.gen.err, "")));
  if (!report.done)
    return fail("probe printed no complete stats block ('" + std::string(format.done_marker()) +
                "' missing)");
  if (!report.problems.empty())
    return fail("probe output (" + std::string(format.name()) + " format): " + report.problems.front());
  if (auto why = check_outputs(test.outputs, o.probe.out, o.probe.err)) return fail(*why);

  if (test.expect_truth) {
    if (!o.gen.started) return fail("'expect truth' needs a generator (no 'gen' line in the plan)");
    auto truth = parse_truth(o.gen.out);
    if (!truth) return fail(truth.error().message);
    if (auto why = check_truth(*truth, report)) return fail(*why);
  }
  for (const auto& e : test.metrics)
    if (auto why = check_metric(e, j.metrics)) return fail(*why);

  j.verdict = "PASS";
  if (auto libbpf = explain_libbpf_failure(o.probe.err, o.probe.out))
    j.warnings.push_back("a BPF program failed to load but the test passed: " + *libbpf);
  if (o.cost.tried && !o.cost.error.empty())
    j.warnings.push_back("the driver's cost was not measured: " + o.cost.error);
  return j;
}

}  // namespace kgrid::testrunner
