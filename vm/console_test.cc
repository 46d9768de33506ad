#include "vm/console.h"

#include <doctest/doctest.h>

#include "vm/test_console.h"

using namespace kgrid::host;

TEST_CASE("printk prefixes are stripped") {
  CHECK(strip_printk_prefix("[    1.234567] Oops: 0002 [#1] SMP\r") == "Oops: 0002 [#1] SMP");
  CHECK(strip_printk_prefix("<4>[    1.2] BUG: x") == "BUG: x");
  CHECK(strip_printk_prefix("[    1.2] [    T1] Kernel panic - not syncing: x") == "Kernel panic - not syncing: x");
  CHECK(strip_printk_prefix("[not a time] x") == "[not a time] x");
}

TEST_CASE("kernel crash lines are classified") {
  CHECK(classify_kernel_line("[    3.1] Kernel panic - not syncing: Attempted to kill init!") == "panic");
  CHECK(classify_kernel_line("[    3.1] general protection fault, probably for non-canonical address") == "oops");
  CHECK(classify_kernel_line("[    3.1] kernel BUG at mm/slub.c:123!") == "bug");
  CHECK(classify_kernel_line("[    3.1] WARNING: CPU: 0 PID: 1 at kernel/bpf/verifier.c:1 x") == "warning");
  CHECK(classify_kernel_line("[    3.1] random: crng init done") == "");
}

TEST_CASE("records split across reads are reassembled and de-duplicated") {
  kgrid::host::testing::FakeConsole c;
  c.passing_run();
  ConsoleMonitor m(kgrid::host::testing::kNonce);
  const std::string& s = c.str();
  for (size_t i = 0; i < s.size(); i += 7) m.feed(std::string_view(s).substr(i, 7));
  CHECK(m.records().size() == 4);
  CHECK(m.find_first("END") != nullptr);
  CHECK(m.running_test() == nullptr);
}

TEST_CASE("the crash keeps its first message and a trace") {
  ConsoleMonitor m("");
  m.feed("[ 1.0] BUG: unable to handle page fault for address: ffff\n[ 1.1] #PF: supervisor\n"
         "[ 1.2] RIP: 0010:kgrid_kmod_hook+0x1/0x2\n[ 1.3] Kernel panic - not syncing: Fatal exception\n");
  REQUIRE(m.crash());
  CHECK(m.crash()->kind == "bug");
  CHECK(m.crash()->message == "BUG: unable to handle page fault for address: ffff");
  CHECK(m.crash()->trace.size() >= 2);
}
