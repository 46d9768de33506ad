#include "results/grid_view.h"

#include <doctest/doctest.h>

#include "results/testing.h"

using namespace kgrid::results;

TEST_CASE("kernels are grouped by distro and series in version order") {
  GridView view = make_grid_view(testing::sample_grid());
  std::vector<std::string> labels;
  for (const auto& g : view.groups) labels.push_back(g.label);
  CHECK(labels == std::vector<std::string>{"debian 5.10", "debian 6.1", "debian 6.12", "debian 7.2", "local 6.6"});
  REQUIRE(view.groups[1].rows.size() == 2);
  CHECK(view.groups[1].rows[0].kernel->id == "debian-bookworm-6.1.0-50-amd64");
  CHECK(view.groups[1].rows[1].kernel->flavor == "cloud-amd64");
  CHECK(view.kernels == 7);
  CHECK(view.totals.at(Verdict::Pass) == 3);
  CHECK(view.totals.at(Verdict::Fail) == 2);
  CHECK_FALSE(view.has_builds);
}

TEST_CASE("one column per (driver, compiler), one cell per kernel and column") {
  GridView view = make_grid_view(testing::sample_grid());
  REQUIRE(view.columns.size() == 2);
  CHECK(view.columns[0].label() == "legacy_bpf / clang-16");
  CHECK(view.columns[1].label() == "modern_bpf");
  const Row& cloud = view.groups[1].rows[1];
  REQUIRE(cloud.cells.size() == 2);
  CHECK(cloud.cells[0].runtime == Verdict::Pass);
  CHECK(cloud.cells[1].runtime == Verdict::Fail);
  CHECK(cloud.cells[1].reason.find("invalid access to map value") != std::string::npos);
  CHECK(cloud.failing());
  const Row& good = view.groups[1].rows[0];
  CHECK_FALSE(good.failing());
  CHECK(*good.events_per_s == 38746);  // the lowest of the row
  CHECK(*good.drops == 0);
  CHECK(*good.cells[1].overhead_pct == 12);
  CHECK(*good.overhead_pct == 20.5);  // the highest of the row
  CHECK_FALSE(cloud.cells[1].overhead_pct.has_value());  // a failed test measured no cost
}

TEST_CASE("a kernel that never ran a test shows its own verdict in every cell") {
  GridView view = make_grid_view(testing::sample_grid());
  const Row& panic = view.groups[3].rows[0];
  REQUIRE(panic.kernel->verdict == Verdict::Panic);
  for (const auto& cell : panic.cells) {
    CHECK(cell.runtime == Verdict::Panic);
    CHECK(cell.reason.find("Kernel panic") != std::string::npos);
  }
  // A kernel that ran tests, but none of this column's, has an empty cell.
  const Row& arm = view.groups[4].rows[0];
  CHECK_FALSE(arm.cells[0].verdict().has_value());
  CHECK(arm.cells[1].runtime == Verdict::Pass);
}

TEST_CASE("build results make their own verdict, and a failed build colours the cell") {
  RunResults run = testing::sample_grid();
  BuildResult b;
  b.driver = "modern_bpf";
  b.verdict = Verdict::Fail;
  b.reason = "clang: error: unknown target";
  run.kernels[1].builds.push_back(b);  // bookworm 6.1 amd64, whose modern_bpf test passed
  GridView view = make_grid_view(run);
  CHECK(view.has_builds);
  const Row& row = view.groups[1].rows[0];
  REQUIRE(row.kernel->id == "debian-bookworm-6.1.0-50-amd64");
  CHECK(row.cells[1].build == Verdict::Fail);
  CHECK(row.cells[1].runtime == Verdict::Pass);
  CHECK(row.cells[1].verdict() == Verdict::Fail);
  CHECK(row.failing());
}

TEST_CASE("events/s falls back to events over capture time; drops add lost") {
  TestResult t;
  t.metrics = {{"events", 5000}, {"capture_ms", 250}, {"drops", 2}, {"lost", 3}};
  CHECK(*events_per_s(t) == doctest::Approx(20000));
  CHECK(*dropped(t) == 5);
  TestResult none;
  CHECK_FALSE(events_per_s(none).has_value());
  CHECK_FALSE(dropped(none).has_value());
}
