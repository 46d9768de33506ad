// Turns an Outcome into a verdict with a reason a person can act on, and the
// metrics reported with it. Pure functions: no processes, no clock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/plan.h"
#include "testrunner/consumer_format.h"
#include "testrunner/outcome.h"
#include "testrunner/truth.h"

namespace kgrid::testrunner {

struct Judgement {
  std::string verdict;  // PASS, FAIL, TIMEOUT, or SKIP when the consumer says "not supported"
  std::string reason;   // empty for PASS
  std::map<std::string, double> metrics;
  std::vector<std::string> warnings;  // worth a look even on a PASS
};

Judgement judge(const plan::Test& test, const Outcome& outcome, const ConsumerFormat& format);

// The pieces, exposed for tests.

// events, drops, lost (whatever the consumer reports) plus load_ms,
// duration_ms, gen_ms, capture_ms, the cost.* metrics (cost.h) and
// events_per_s: events over the time generators ran while the probe was
// attached (the generator and the attached benchmark rounds), else over the
// capture window.
std::map<std::string, double> collect_metrics(const Outcome& outcome, const ProbeReport& report);

// nullopt if the probe's counts match the truth exactly, else why not.
std::optional<std::string> check_truth(const Truth& truth, const ProbeReport& report);

// nullopt if the expectation holds, else why not.
std::optional<std::string> check_metric(const plan::MetricExpectation& expect,
                                        const std::map<std::string, double>& metrics);

// 12 -> "12", 0.5 -> "0.5", 1234.5678 -> "1234.57"
std::string format_number(double value);

}  // namespace kgrid::testrunner
