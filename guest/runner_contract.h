// What kgrid-init and kgrid-testrunner agree on: where the testrunner is, how
// init passes the protocol state, which seq numbers each side uses and what
// the testrunner's exit status means.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kgrid::init {

inline constexpr const char* kTestrunnerPath = "/kgrid/bin/kgrid-testrunner";
inline constexpr const char* kShellPath = "/bin/sh";

// init writes BEGIN with seq 0 and starts the testrunner with
// KGRID_SEQ=1 and KGRID_NONCE=<nonce> in its environment.
inline constexpr uint64_t kBeginSeq = 0;
inline constexpr uint64_t kTestrunnerFirstSeq = 1;
inline constexpr const char* kSeqEnv = "KGRID_SEQ";
inline constexpr const char* kNonceEnv = "KGRID_NONCE";
// If the testrunner dies without END, init sends END with this seq, far above
// anything the testrunner can have used.
inline constexpr uint64_t kInitEndSeq = 1000000;

// The testrunner exits 0 if and only if it has written END (any status).
// Any other exit, or death by a signal, means END was not written.
inline constexpr int kExitEndSent = 0;
inline constexpr int kExitNoEnd = 1;

// For a wait() status of the testrunner: nullopt if it sent END, else the
// reason for init's END status=runner_crashed.
std::optional<std::string> runner_crash_reason(int wait_status);

struct BootOptions {
  std::string nonce;   // kgrid.nonce=
  bool shell = false;  // kgrid.shell=1: a shell on the console instead of the testrunner
  // kgrid.shell=after: the testrunner first, then the shell (kgrid repro --shell).
  bool shell_after_tests = false;
  // kgrid.stop_on_fail=1: the testrunner stops at the first test that is not
  // PASS or SKIP; the tests after it are reported as SKIP ("not run").
  bool stop_on_fail = false;
};

BootOptions parse_boot_options(std::string_view cmdline);

}  // namespace kgrid::init
