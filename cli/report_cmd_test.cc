// kgrid report / compare / history, as commands: exit codes, files written,
// and what a user reads, on fixture output directories.
#include "cli/report_cmd.h"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <sstream>

#include "results/testing.h"

using namespace kgrid::host;
namespace testing = kgrid::results::testing;
namespace fs = std::filesystem;
using kgrid::results::RunResults;
using kgrid::results::Verdict;

namespace {

struct Outcome {
  int code;
  std::string out, err;
};

template <class F, class O>
Outcome call(F f, const O& options) {
  std::ostringstream out, err;
  int code = f(options, out, err);
  return {code, out.str(), err.str()};
}

// The sample grid with bookworm's modern_bpf turned from PASS into FAIL.
RunResults regressed(RunResults run) {
  for (auto& k : run.kernels) {
    if (k.id != "debian-bookworm-6.1.0-50-amd64") continue;
    k.verdict = Verdict::Fail;
    k.reason = "modern_bpf: expected 5000 getppid events, probe saw 4990";
    k.tests[0].verdict = Verdict::Fail;
    k.tests[0].reason = "expected 5000 getppid events, probe saw 4990";
  }
  return run;
}

}  // namespace

TEST_CASE("kgrid report writes every report, and refuses bad results files naming the problem") {
  testing::TempDir dir("report-cmd");
  testing::write_out_dir(dir.path(), testing::sample_grid());
  ReportCmdOptions o{dir.path(), "", true};
  auto ok = call(report_command, o);
  CHECK(ok.code == 0);
  for (const char* name : {"summary.txt", "summary.md", "junit.xml", "matrix.html", "matrix.svg"}) {
    CHECK(fs::exists(dir.path() / name));
    CHECK(ok.out.find(name) != std::string::npos);
  }
  CHECK(testing::read_file(dir.path() / "summary.txt").find("=> kgrid repro " + dir.path().string() + "/kernels/") !=
        std::string::npos);

  std::ofstream(dir.path() / "results.json") << R"({"schema": 7, "kernels": []})";
  auto future = call(report_command, o);
  CHECK(future.code == 2);
  CHECK(future.err.find("results.schema: 7 is newer than this kgrid understands") != std::string::npos);

  std::ofstream(dir.path() / "results.json") << R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "boot_s": "x"}]})";
  auto edited = call(report_command, o);
  CHECK(edited.code == 2);
  CHECK(edited.err.find("results.kernels[0].boot_s") != std::string::npos);

  // An explicit --db that does not exist is an error; the default one is optional.
  testing::write_out_dir(dir.path(), testing::sample_grid());
  ReportCmdOptions with_db{dir.path(), (dir.path() / "no.sqlite").string(), false};
  auto no_db = call(report_command, with_db);
  CHECK(no_db.code == 2);
  CHECK(no_db.err.find("no.sqlite") != std::string::npos);
}

TEST_CASE("kgrid compare exits 1 on an injected regression and writes text, Markdown and JSON") {
  testing::TempDir dir("compare-cmd");
  fs::path base = dir.path() / "base", now = dir.path() / "new", same = dir.path() / "same";
  testing::write_out_dir(base, testing::sample_grid());
  testing::write_out_dir(same, testing::sample_grid());
  testing::write_out_dir(now, regressed(testing::sample_grid()));

  CompareCmdOptions o;
  o.base = base;
  o.now = now;
  o.text = (dir.path() / "compare.txt").string();
  o.md = (dir.path() / "compare.md").string();
  o.json = (dir.path() / "compare.json").string();
  auto r = call(compare_command, o);
  CHECK(r.code == 1);
  CHECK(r.out.find("PASS -> FAIL") != std::string::npos);
  CHECK(r.out.find("debian-bookworm-6.1.0-50-amd64: modern_bpf") != std::string::npos);
  CHECK(testing::read_file(o.text) == r.out);
  CHECK(testing::read_file(o.md).find("PASS → FAIL") != std::string::npos);
  CHECK(testing::read_file(o.json).find("\"regressed\": true") != std::string::npos);

  CompareCmdOptions clean{base, same / "results.json", "", "", "", {}};
  CHECK(call(compare_command, clean).code == 0);

  CompareCmdOptions fixed{now, base, "", "", "", {}};  // the other way round: two fixes
  auto f = call(compare_command, fixed);
  CHECK(f.code == 0);
  CHECK(f.out.find("fixes (2):") != std::string::npos);

  CompareCmdOptions missing{base, dir.path() / "nowhere", "", "", "", {}};
  auto m = call(compare_command, missing);
  CHECK(m.code == 2);
  CHECK(m.err.find("nowhere") != std::string::npos);
}

TEST_CASE("kgrid history add and show answer across three runs") {
  testing::TempDir dir("history-cmd");
  std::string db = (dir.path() / "h.sqlite").string();
  const char* days[] = {"2026-11-18T10:00:00Z", "2026-11-19T10:00:00Z", "2026-11-20T10:00:00Z"};
  for (int i = 0; i < 3; ++i) {
    RunResults run = i == 2 ? regressed(testing::sample_grid()) : testing::sample_grid();
    run.started_at = days[i];
    fs::path out = dir.path() / ("run" + std::to_string(i));
    testing::write_out_dir(out, run);
    auto r = call(history_add_command, HistoryCmdOptions{db, out, ""});
    CHECK(r.code == 0);
    CHECK(r.out.find("recorded run #" + std::to_string(i + 1)) != std::string::npos);
  }
  auto again = call(history_add_command, HistoryCmdOptions{db, dir.path() / "run1", ""});
  CHECK(again.out.find("already recorded as run #2") != std::string::npos);

  auto one = call(history_show_command, HistoryCmdOptions{db, "", "debian-bookworm-6.1.0-50-amd64"});
  CHECK(one.code == 0);
  CHECK(one.out.find("modern_bpf: failing since run #3 (2026-11-20T10:00:00Z), last PASS in run #2") != std::string::npos);
  auto all = call(history_show_command, HistoryCmdOptions{db, "", ""});
  CHECK(all.code == 0);
  CHECK(all.out.find("3 recorded run(s)") != std::string::npos);
  CHECK(all.out.find((dir.path() / "run2").string()) != std::string::npos);
  auto unknown = call(history_show_command, HistoryCmdOptions{db, "", "debian-nope"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("known kernels:") != std::string::npos);

  // matrix.html gets the trend from the history database.
  ReportCmdOptions report{dir.path() / "run2", db, false};
  CHECK(call(report_command, report).code == 0);
  std::string html = testing::read_file(dir.path() / "run2" / "matrix.html");
  CHECK(html.find("<th data-type=\"text\">history</th>") != std::string::npos);
  CHECK(html.find("<svg class=\"trend\"") != std::string::npos);
}

TEST_CASE("the subcommands are wired to their options") {
  CLI::App app;
  ReportCommands commands;
  commands.add_to(app);
  app.parse("compare /nonexistent/base /nonexistent/new --md out.md --drops-increase 0.5", false);
  CHECK(commands.dispatch() == 2);  // both runs are missing
  CLI::App app2;
  ReportCommands c2;
  c2.add_to(app2);
  app2.parse("history show --db /nonexistent/h.sqlite --kernel ID", false);
  CHECK(c2.dispatch() == 2);
}
