#include "testrunner/failure_reason.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace kgrid::testrunner;

namespace {
std::string fixture(const char* name) {
  std::ifstream in(std::string(KGRID_SOURCE_DIR) + "/testrunner/testdata/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
bool has(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }
}  // namespace

TEST_CASE("a real libbpf verifier failure names the program and the verifier's last lines") {
  std::string log = fixture("console-modern-verifier-fail-6.12.log");
  REQUIRE(log.size() > 10000);
  std::string r = explain_probe_failure(log, "");
  INFO(r);
  CHECK(r.rfind("libbpf: prog 'signal_deliver': BPF program load failed: Permission denied", 0) == 0);
  CHECK(has(r, "verifier log ends: 131: (61) r2 = *(u32 *)(r9 +0) | R9 invalid mem access 'scalar' | "
               "processed 127 insns"));
  CHECK_FALSE(has(r, "\r"));
  CHECK_FALSE(has(r, "\n"));
  CHECK(r.size() < 700);
  // libbpf may print to stdout (scap-open does): found there too.
  CHECK(explain_probe_failure("", log) == r);
}

TEST_CASE("older libbpf wording: program named on another line, DUMP LOG markers") {
  std::string err =
      "libbpf: load bpf program failed: Invalid argument\n"
      "libbpf: -- BEGIN DUMP LOG ---\n"
      "libbpf: \n"
      "0: (b7) r0 = 0\n"
      "1: (85) call bpf_ringbuf_reserve#131\n"
      "invalid func unknown#131\n"
      "libbpf: -- END LOG --\n"
      "libbpf: failed to load program 'handle_sys_enter'\n"
      "libbpf: failed to load object 'probe_bpf'\n";
  std::string r = explain_probe_failure(err, "");
  INFO(r);
  CHECK(r.rfind("libbpf: load bpf program failed: Invalid argument; libbpf: failed to load program "
                "'handle_sys_enter'", 0) == 0);
  CHECK(has(r, "verifier log ends: 0: (b7) r0 = 0 | 1: (85) call bpf_ringbuf_reserve#131 | "
               "invalid func unknown#131"));
}

TEST_CASE("without libbpf lines: the last lines written") {
  CHECK(explain_probe_failure("a\nb\n\nc\nd\n", "") == "b | c | d");
  CHECK(explain_probe_failure("", "only stdout\n") == "only stdout");
  CHECK(explain_probe_failure("", "") == "");
}
