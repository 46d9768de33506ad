#include "guest/runner_contract.h"

#include <doctest/doctest.h>
#include <sys/wait.h>

using namespace kgrid::init;

namespace {
int exited(int code) { return code << 8; }  // the wait status layout
int signaled(int sig) { return sig; }
}  // namespace

TEST_CASE("the wait-status layout assumed by these tests is the real one") {
  CHECK(WIFEXITED(exited(3)));
  CHECK(WEXITSTATUS(exited(3)) == 3);
  CHECK(WIFSIGNALED(signaled(11)));
  CHECK(WTERMSIG(signaled(11)) == 11);
}

TEST_CASE("exit 0 means END was sent; anything else is a crash with a reason") {
  CHECK_FALSE(runner_crash_reason(exited(0)));
  auto sig = runner_crash_reason(signaled(11));
  REQUIRE(sig);
  CHECK(sig->rfind("testrunner killed by signal 11", 0) == 0);
  auto code = runner_crash_reason(exited(kExitNoEnd));
  REQUIRE(code);
  CHECK(*code == "testrunner exited with status 1 without sending END");
}

TEST_CASE("the seq used by init for END is far above the testrunner's") {
  CHECK(kBeginSeq < kTestrunnerFirstSeq);
  CHECK(kInitEndSeq >= 1000000);
}

TEST_CASE("boot options come from the kernel command line") {
  auto o = parse_boot_options("console=ttyS0 panic=-1 kgrid.nonce=0123456789abcdef\n");
  CHECK(o.nonce == "0123456789abcdef");
  CHECK_FALSE(o.shell);
  CHECK(parse_boot_options("kgrid.shell=1 quiet").shell);
  CHECK(parse_boot_options("quiet kgrid.shell=1\n").shell);
  CHECK_FALSE(parse_boot_options("kgrid.shell=10").shell);
  CHECK_FALSE(parse_boot_options("xkgrid.shell=1").shell);
}

TEST_CASE("kgrid.shell=after and kgrid.stop_on_fail=1 are read from the command line") {
  auto o = parse_boot_options("console=ttyS0 kgrid.stop_on_fail=1 kgrid.shell=after\n");
  CHECK(o.shell_after_tests);
  CHECK(o.stop_on_fail);
  CHECK_FALSE(o.shell);
  auto none = parse_boot_options("kgrid.shell=afterwards kgrid.stop_on_fail=0");
  CHECK_FALSE(none.shell_after_tests);
  CHECK_FALSE(none.stop_on_fail);
}
