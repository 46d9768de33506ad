// Picks, from the output of a probe that failed, the few lines that tell a
// person why: for a libbpf load failure the "libbpf: prog '<name>': ..." line
// and the last lines of the verifier log; otherwise the last lines written.
#pragma once

#include <string>
#include <string_view>

namespace kgrid::testrunner {

// One line (no '\n'), empty if the probe wrote nothing.
// `err` is searched first; libbpf may also print to stdout (`out`).
std::string explain_probe_failure(std::string_view err, std::string_view out);

}  // namespace kgrid::testrunner
