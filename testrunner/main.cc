// kgrid-testrunner: runs the plan's tests inside the guest and reports them
// over the console protocol. Started by kgrid-init (see guest/runner_contract.h):
// exits 0 if and only if it has written END.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/plan.h"
#include "common/protocol.h"
#include "guest/guest_io.h"
#include "guest/runner_contract.h"
#include "testrunner/caps.h"
#include "testrunner/consumer_format.h"
#include "testrunner/judge.h"
#include "testrunner/reporter.h"
#include "testrunner/run_test.h"

using namespace kgrid;
using namespace kgrid::testrunner;

namespace {

constexpr const char* kPlanPath = "/kgrid/plan";

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}

Result<plan::Plan> load_plan(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0)
    return make_error("cannot read " + path + ": " + std::strerror(errno));
  return plan::parse_plan(guest::read_file(path.c_str()));
}

// Returns the test's verdict.
std::string run_one(Reporter& rep, const plan::Test& test, const Caps& caps, const std::string& tag) {
  rep.send("TEST_START", {{"name", test.name}, {"driver", test.driver},
                          {"timeout_s", std::to_string(test.timeout_s)}});
  Outcome outcome;
  Judgement j;
  auto format = make_consumer_format(test.format);  // parse_plan() admits only known names
  if (auto why = unmet_requirement(test, caps)) {
    j.verdict = "SKIP";
    j.reason = *why;
  } else if (!format) {
    j.verdict = "FAIL";
    j.reason = "unknown consumer format '" + test.format + "'";
  } else {
    rep.say(tag + "starting " + test.probe[0]);
    outcome = run_test(test, [&](std::string_view line) { rep.say(tag + std::string(line)); });
    j = judge(test, outcome, *format);
    auto unchecked = requirement_warnings(test, caps);
    j.warnings.insert(j.warnings.begin(), unchecked.begin(), unchecked.end());
  }
  rep.send("TEST", test_fields(test, j, outcome));
  rep.say(tag + j.verdict + (j.reason.empty() ? "" : ": " + j.reason));
  for (const auto& w : j.warnings) rep.say(tag + "warning: " + w);
  if (j.verdict == "PASS" || j.verdict == "SKIP") return j.verdict;
  for (const LogLine& l : log_tail(outcome))
    rep.send("LOG", {{"test", test.name}, {"stream", l.stream}, {"line", l.line}});
  return j.verdict;
}

// kgrid.stop_on_fail=1 (kgrid repro): every test after the first failure is
// reported as SKIP, so the host still gets one TEST record per planned test.
void skip_not_run(Reporter& rep, const plan::Test& test, const std::string& failed, const std::string& tag) {
  Judgement j;
  j.verdict = "SKIP";
  j.reason = "not run: " + failed + " failed first (kgrid.stop_on_fail=1)";
  rep.send("TEST", test_fields(test, j, Outcome{}));
  rep.say(tag + "SKIP: " + j.reason);
}

}  // namespace

int main() {
  std::string nonce = env_or(init::kNonceEnv, "");
  if (nonce.empty()) nonce = protocol::nonce_from_cmdline(guest::read_file("/proc/cmdline"));
  uint64_t seq = std::strtoull(env_or(init::kSeqEnv, "1").c_str(), nullptr, 10);
  Reporter rep(STDOUT_FILENO, nonce, seq);

  Caps caps = probe_caps();
  rep.send("CAPS", caps.fields());
  rep.say("kernel " + caps.release + " " + caps.arch + ": btf=" + (caps.btf ? "1" : "0") +
          " ringbuf=" + (caps.ringbuf ? "1" : "0") + " tracefs=" + (caps.tracefs ? "1" : "0"));

  auto plan = load_plan(env_or("KGRID_PLAN", kPlanPath));
  if (!plan) {
    rep.say("plan error: " + plan.error().message);
    rep.send("END", {{"tests", "0"}, {"status", "plan_error"}, {"reason", plan.error().message}});
    return init::kExitEndSent;
  }
  for (const plan::Test& test : plan->tests) {
    if (!test.config.empty()) {
      load_config(caps);
      break;
    }
  }
  size_t n = plan->tests.size();
  bool stop_on_fail = init::parse_boot_options(guest::read_file("/proc/cmdline")).stop_on_fail;
  std::string first_failed;
  for (size_t i = 0; i < n; ++i) {
    const plan::Test& test = plan->tests[i];
    std::string tag = "[" + std::to_string(i + 1) + "/" + std::to_string(n) + "] " + test.name + ": ";
    if (!first_failed.empty()) {
      skip_not_run(rep, test, first_failed, tag);
      continue;
    }
    std::string verdict = run_one(rep, test, caps, tag);
    if (stop_on_fail && verdict != "PASS" && verdict != "SKIP") first_failed = test.name;
  }
  rep.send("END", {{"tests", std::to_string(n)}, {"status", "ok"}, {"reason", ""}});
  rep.say("done: " + std::to_string(n) + " test(s)");
  return init::kExitEndSent;
}
