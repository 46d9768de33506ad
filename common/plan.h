// The guest plan, version 1 (see docs/design.md): what the testrunner runs.
// The host writes it with format_plan(); the guest reads it with parse_plan().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace kgrid::plan {

struct MetricExpectation {
  std::string metric;
  std::string op;  // == != >= <= > <
  double value = 0;
};

struct Test {
  std::string name;
  std::string driver;
  std::vector<std::string> probe;  // argv
  std::string ready;               // the probe's stdout line that means "attached"
  std::vector<std::string> gen;    // argv, may be empty
  int timeout_s = 60;
  std::vector<std::string> requires_;  // btf, ringbuf, tracefs
  std::string min_kernel;              // "5.8", empty for none
  int expect_exit = 0;
  bool expect_truth = false;
  std::vector<MetricExpectation> metrics;
};

struct Plan {
  std::vector<Test> tests;
};

std::string format_plan(const Plan& plan);
Result<Plan> parse_plan(std::string_view text);

// Compares "a.b.c" kernel versions numerically; returns <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b);

}  // namespace kgrid::plan
