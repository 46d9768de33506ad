// Output expectations: POSIX extended regular expressions (regcomp, as grep
// -E) matched against each line of the probe's stdout or stderr. glibc's
// regex engine rather than std::regex keeps the static testrunner small.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/plan.h"

namespace kgrid::testrunner {

// nullopt if the expression compiles, else regcomp's message.
std::optional<std::string> regex_error(const std::string& regex);

// nullopt if the expectation holds for `text`, else why not.
std::optional<std::string> check_output(const plan::OutputExpectation& expect, std::string_view text);

// The first failing expectation, given the probe's stdout and stderr.
std::optional<std::string> check_outputs(const std::vector<plan::OutputExpectation>& expects,
                                         std::string_view out, std::string_view err);

}  // namespace kgrid::testrunner
