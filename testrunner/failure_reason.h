// Picks, from the output of a probe that failed, the few lines that tell a
// person why: for a libbpf load failure the "libbpf: prog '<name>': ..." line
// and the last lines of the verifier log; otherwise the last lines written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kgrid::testrunner {

// One line (no '\n'), empty if the probe wrote nothing.
// `err` is searched first; libbpf may also print to stdout (`out`).
std::string explain_probe_failure(std::string_view err, std::string_view out);

// Only the libbpf part: the failed program and the verifier's last lines, if
// libbpf reported a failure at all. On a PASS this is a warning (an optional
// program the kernel rejected while the capture still worked).
std::optional<std::string> explain_libbpf_failure(std::string_view err, std::string_view out);

}  // namespace kgrid::testrunner
