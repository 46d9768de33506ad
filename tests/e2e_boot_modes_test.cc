// End-to-end: booting through PVH (the vmlinux kgrid decompresses on the
// host) and booting the bzImage give the same verdicts and test results on
// every kernel of the default grid, and the same PANIC for a broken boot.
#include <doctest/doctest.h>

#include <map>

#include "tests/e2e_support.h"

using namespace kgrid::e2e;
using kgrid::results::KernelResult;
using kgrid::results::RunResults;
using kgrid::results::Verdict;
using kgrid::results::verdict_name;

namespace {

RunResults run_mode(const std::string& label, const std::string& mode, const std::vector<std::string>& extra) {
  OutDir out("boot-" + label + "-" + mode);
  std::vector<std::string> args = {"run", "--boot", mode, "--out", out.str()};
  args.insert(args.end(), extra.begin(), extra.end());
  Command c = run_kgrid(args);
  INFO(c.output);
  CHECK(c.exit_code != 2);
  return read_results(out.path());
}

// Verdict, reason's first words and per-test verdicts; metrics vary from
// boot to boot (a few syscalls more or less), drops must be zero both ways.
void check_same(const RunResults& pvh, const RunResults& bz) {
  REQUIRE(pvh.kernels.size() == bz.kernels.size());
  for (size_t i = 0; i < pvh.kernels.size(); ++i) {
    const KernelResult& a = pvh.kernels[i];
    const KernelResult& b = bz.kernels[i];
    INFO(a.id << ": pvh " << verdict_name(a.verdict) << " (" << a.reason << "), bzimage "
              << verdict_name(b.verdict) << " (" << b.reason << ")");
    CHECK(a.id == b.id);
    CHECK(a.boot_mode == "pvh");
    CHECK(b.boot_mode == "bzimage");
    CHECK(a.verdict == b.verdict);
    CHECK(a.reason.substr(0, 20) == b.reason.substr(0, 20));
    REQUIRE(a.tests.size() == b.tests.size());
    for (size_t t = 0; t < a.tests.size(); ++t) {
      CHECK(a.tests[t].name == b.tests[t].name);
      CHECK(a.tests[t].verdict == b.tests[t].verdict);
      CHECK(a.tests[t].reason == b.tests[t].reason);
      for (const char* m : {"drops", "lost"}) {
        if (a.tests[t].metrics.count(m) || b.tests[t].metrics.count(m)) {
          CHECK(a.tests[t].metrics.count(m) == b.tests[t].metrics.count(m));
          if (a.tests[t].metrics.count(m) && b.tests[t].metrics.count(m))
            CHECK(a.tests[t].metrics.at(m) == b.tests[t].metrics.at(m));
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("the default grid gives the same verdicts and test results through PVH and through the bzImage") {
  const std::vector<std::string> grid = {"--grid", std::string(KGRID_SOURCE_DIR) + "/kernels/default.toml"};
  RunResults pvh = run_mode("grid", "pvh", grid);
  RunResults bz = run_mode("grid", "bzimage", grid);
  REQUIRE(pvh.kernels.size() == 4);
  check_same(pvh, bz);
  for (const auto& k : pvh.kernels) CHECK(k.verdict == Verdict::Pass);
}

TEST_CASE("auto boots Debian kernels through PVH, and a panic is a PANIC either way") {
  const std::string image = fetch_kernel("debian:bookworm/linux-image-amd64");
  const std::vector<std::string> panic = {"--kernel", image, "--append", "rdinit=/nonexistent"};
  RunResults pvh = run_mode("panic", "auto", panic);
  RunResults bz = run_mode("panic", "bzimage", panic);
  REQUIRE(pvh.kernels.size() == 1);
  CHECK(pvh.kernels[0].verdict == Verdict::Panic);
  CHECK(pvh.kernels[0].reason.find("Kernel panic - not syncing") != std::string::npos);
  check_same(pvh, bz);
}

TEST_CASE("a probe the verifier rejects FAILs with the same reason either way") {
  const std::string image = fetch_kernel("debian:bookworm/linux-image-amd64");
  const std::vector<std::string> fault = {"--kernel", image, "--probe-fault", "verifier"};
  RunResults pvh = run_mode("verifier", "pvh", fault);
  RunResults bz = run_mode("verifier", "bzimage", fault);
  REQUIRE(pvh.kernels.size() == 1);
  CHECK(pvh.kernels[0].verdict == Verdict::Fail);
  check_same(pvh, bz);
}
