#include "results/history.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>

#include "results/testing.h"

using namespace kgrid::results;

namespace {

KernelResult& kernel(RunResults& run, const std::string& id) {
  for (auto& k : run.kernels)
    if (k.id == id) return k;
  FAIL("no kernel " << id);
  throw 0;
}

const std::string kBookworm = "debian-bookworm-6.1.0-50-amd64";
const std::string kTrixie = "debian-trixie-6.12.117+deb13-amd64";
const std::string kSid = "debian-sid-7.2.13+deb14-amd64";

// Three runs on three days: bookworm passes twice then fails, trixie fails
// twice then passes, sid panics every time; boot time on bookworm grows.
std::vector<RunResults> three_runs() {
  std::vector<RunResults> runs;
  for (int day = 0; day < 3; ++day) {
    RunResults run = testing::sample_grid();
    run.started_at = std::vector<std::string>{"2026-11-18T10:00:00Z", "2026-11-19T10:00:00Z",
                                              "2026-11-20T10:00:00Z"}[static_cast<size_t>(day)];
    KernelResult& b = kernel(run, kBookworm);
    b.boot_s = std::vector<double>{2.3, 2.5, 3.1}[static_cast<size_t>(day)];
    b.tests[0].metrics["events_per_s"] = std::vector<double>{39000, 38000, 0}[static_cast<size_t>(day)];
    if (day == 2) {
      b.verdict = Verdict::Fail;
      b.reason = "modern_bpf: expected 5000 getppid events, probe saw 4990";
      b.tests[0].verdict = Verdict::Fail;
      b.tests[0].reason = "expected 5000 getppid events, probe saw 4990";
    }
    if (day == 2) {
      KernelResult& t = kernel(run, kTrixie);
      t.verdict = Verdict::Pass;
      t.reason.clear();
      for (auto& test : t.tests) test.verdict = Verdict::Pass, test.reason.clear();
    }
    runs.push_back(run);
  }
  return runs;
}

}  // namespace

TEST_CASE("history answers across three recorded runs: since when failing, how boot time moved") {
  testing::TempDir dir("history");
  auto path = dir.path() / "sub" / "history.sqlite";
  auto db = HistoryDb::open(path, true);
  REQUIRE_MESSAGE(db.ok(), db.error().message);
  auto runs = three_runs();
  for (size_t i = 0; i < runs.size(); ++i) {
    auto added = db->add(runs[i], "/out/run" + std::to_string(i + 1));
    REQUIRE_MESSAGE(added.ok(), added.error().message);
    CHECK(added->run_id == static_cast<int64_t>(i + 1));
    CHECK_FALSE(added->already_recorded);
  }
  // The same results again are recognised.
  auto again = db->add(runs[1], "/elsewhere");
  REQUIRE(again.ok());
  CHECK(again->already_recorded);
  CHECK(again->run_id == 2);

  auto recorded = db->runs();
  REQUIRE(recorded.ok());
  REQUIRE(recorded->size() == 3);
  CHECK((*recorded)[2].passed == 3);
  CHECK((*recorded)[0].out_dir == "/out/run1");

  auto bookworm = db->kernel(kBookworm);
  REQUIRE(bookworm.ok());
  REQUIRE(bookworm->size() == 3);
  CHECK((*bookworm)[2].verdict == Verdict::Fail);
  REQUIRE((*bookworm)[0].tests.size() == 2);
  CHECK((*bookworm)[0].tests[0].events_per_s == 39000);
  CHECK((*bookworm)[0].tests[1].compiler == "clang-16");

  std::string text = format_kernel_history(kBookworm, *bookworm);
  INFO(text);
  CHECK(text.find("kernel: failing since run #3 (2026-11-20T10:00:00Z), last PASS in run #2 (2026-11-19T10:00:00Z); "
                  "now FAIL: modern_bpf: expected 5000 getppid events, probe saw 4990") != std::string::npos);
  CHECK(text.find("modern_bpf: failing since run #3 (2026-11-20T10:00:00Z), last PASS in run #2") != std::string::npos);
  CHECK(text.find("legacy_bpf [clang-16]: PASS in all 3 run(s)") != std::string::npos);
  CHECK(text.find("boot time: 2.3s -> 3.1s (+35%) over 3 run(s) (min 2.3s, max 3.1s)") != std::string::npos);
  CHECK(text.find("modern_bpf events/s: 39k -> 38k (-3%) over 2 run(s)") != std::string::npos);

  auto trixie = db->kernel(kTrixie);
  REQUIRE(trixie.ok());
  std::string fixed = format_kernel_history(kTrixie, *trixie);
  CHECK(fixed.find("kernel: PASS since run #3 (2026-11-20T10:00:00Z); last FAIL in run #2 (2026-11-19T10:00:00Z)") !=
        std::string::npos);
  auto sid = db->kernel(kSid);
  REQUIRE(sid.ok());
  std::string never = format_kernel_history(kSid, *sid);
  CHECK(never.find("kernel: failing since run #1 (2026-11-18T10:00:00Z), never passed in 3 recorded run(s); now PANIC: "
                   "Kernel panic") != std::string::npos);
  CHECK(never.find("(no tests ran)") != std::string::npos);

  // The overview lists the runs and each kernel's state.
  auto ids = db->kernel_ids();
  REQUIRE(ids.ok());
  CHECK(ids->size() == 7);
  std::vector<std::vector<RecordedKernel>> all;
  for (const auto& id : *ids) all.push_back(*db->kernel(id));
  std::string overview = format_history_overview(*recorded, all);
  INFO(overview);
  CHECK(overview.find("3 recorded run(s)") != std::string::npos);
  CHECK(overview.find("#3    2026-11-20T10:00:00Z  kvm    3/7   passed  wall   61.5s  /out/run3") != std::string::npos);
  size_t line = overview.find("  " + kBookworm + " ");
  REQUIRE(line != std::string::npos);
  CHECK(overview.substr(line, overview.find('\n', line) - line).find("failing since run #3") != std::string::npos);

  // Trends for matrix.html: the last N runs, oldest first.
  auto trends = db->trends({kBookworm, "never-seen"}, 2);
  REQUIRE(trends.ok());
  CHECK(trends->count("never-seen") == 0);
  REQUIRE(trends->at(kBookworm).size() == 2);
  CHECK(trends->at(kBookworm)[0].started_at == "2026-11-19T10:00:00Z");
  CHECK(trends->at(kBookworm)[1].verdict == Verdict::Fail);
  CHECK(trends->at(kBookworm)[1].boot_s == doctest::Approx(3.1));
}

TEST_CASE("history databases that are missing, foreign or from a newer kgrid are refused clearly") {
  testing::TempDir dir("history-bad");
  auto missing = HistoryDb::open(dir.path() / "none.sqlite", false);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("kgrid history add") != std::string::npos);

  auto junk = dir.path() / "junk.sqlite";
  std::ofstream(junk) << "this is not a database, just text that is long enough to look like a header......\n";
  auto foreign = HistoryDb::open(junk, false);
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().message.find(junk.string()) != std::string::npos);

  auto future = dir.path() / "future.sqlite";
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(future.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  auto newer = HistoryDb::open(future, true);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().message.find("newer than this kgrid") != std::string::npos);
}

TEST_CASE("the default database is under the user's data directory, or $KGRID_HISTORY_DB") {
  ::setenv("KGRID_HISTORY_DB", "/x/h.sqlite", 1);
  CHECK(default_history_path() == "/x/h.sqlite");
  ::unsetenv("KGRID_HISTORY_DB");
  ::setenv("XDG_DATA_HOME", "/data", 1);
  CHECK(default_history_path() == "/data/kgrid/history.sqlite");
  ::unsetenv("XDG_DATA_HOME");
  ::setenv("HOME", "/home/u", 1);
  CHECK(default_history_path() == "/home/u/.local/share/kgrid/history.sqlite");
}
