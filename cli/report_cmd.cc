#include "cli/report_cmd.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "results/history.h"
#include "results/reports.h"
#include "util/files.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

int bad(std::ostream& err, const std::string& message) {
  err << "kgrid: error: " << message << "\n";
  return 2;
}

fs::path history_path(const std::string& db) { return db.empty() ? results::default_history_path() : fs::path(db); }

std::string absolute_path(const fs::path& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return (ec ? p : a.lexically_normal()).string();
}

}  // namespace

int report_command(const ReportCmdOptions& o, std::ostream& out, std::ostream& err) {
  results::Trends trends;
  if (!o.no_history) {
    fs::path db = history_path(o.db);
    std::error_code ec;
    if (!o.db.empty() || fs::exists(db, ec)) {
      auto loaded = results::load_trends(o.out, db);
      // An explicit --db must work; the default one is a bonus.
      if (!loaded && !o.db.empty()) return bad(err, loaded.error().message);
      if (loaded) trends = std::move(*loaded);
    }
  }
  if (auto st = results::write_reports(o.out, trends.empty() ? nullptr : &trends); !st) return bad(err, st.error().message);
  for (const char* name : {"summary.txt", "summary.md", "junit.xml", "matrix.html", "matrix.svg"})
    out << (o.out / name).string() << "\n";
  return 0;
}

int compare_command(const CompareCmdOptions& o, std::ostream& out, std::ostream& err) {
  auto base = results::read_results_file(o.base);
  if (!base) return bad(err, base.error().message);
  auto now = results::read_results_file(o.now);
  if (!now) return bad(err, now.error().message);
  results::Comparison c = results::compare_runs(*base, *now, o.thresholds);
  std::string base_label = o.base.string(), new_label = o.now.string();
  out << results::format_comparison_text(c, base_label, new_label);
  const std::pair<const std::string*, std::string> files[] = {
      {&o.text, o.text.empty() ? "" : results::format_comparison_text(c, base_label, new_label)},
      {&o.md, o.md.empty() ? "" : results::format_comparison_md(c, base_label, new_label)},
      {&o.json, o.json.empty() ? "" : results::format_comparison_json(c, base_label, new_label, o.thresholds)},
  };
  for (const auto& [path, text] : files) {
    if (path->empty()) continue;
    if (auto st = write_file_atomic(*path, text); !st) return bad(err, st.error().message);
  }
  return c.regressed() ? 1 : 0;
}

int history_add_command(const HistoryCmdOptions& o, std::ostream& out, std::ostream& err) {
  auto run = results::read_results_file(o.out);
  if (!run) return bad(err, run.error().message);
  fs::path path = history_path(o.db);
  auto db = results::HistoryDb::open(path, /*create=*/true);
  if (!db) return bad(err, db.error().message);
  fs::path dir = fs::is_directory(o.out) ? o.out : o.out.parent_path();
  auto added = db->add(*run, absolute_path(dir));
  if (!added) return bad(err, path.string() + ": " + added.error().message);
  out << (added->already_recorded ? "already recorded as run #" : "recorded run #") << added->run_id << " ("
      << run->kernels.size() << " kernel(s), started " << run->started_at << ") in " << path.string() << "\n";
  return 0;
}

int history_show_command(const HistoryCmdOptions& o, std::ostream& out, std::ostream& err) {
  fs::path path = history_path(o.db);
  auto db = results::HistoryDb::open(path, /*create=*/false);
  if (!db) return bad(err, db.error().message);
  if (!o.kernel.empty()) {
    auto history = db->kernel(o.kernel);
    if (!history) return bad(err, history.error().message);
    if (history->empty()) {
      auto ids = db->kernel_ids();
      std::string known;
      if (ids)
        for (const auto& id : *ids) known += "\n  " + id;
      return bad(err, "kernel " + o.kernel + " is not in " + path.string() + (known.empty() ? "" : "; known kernels:" + known));
    }
    out << results::format_kernel_history(o.kernel, *history);
    return 0;
  }
  auto runs = db->runs();
  if (!runs) return bad(err, runs.error().message);
  auto ids = db->kernel_ids();
  if (!ids) return bad(err, ids.error().message);
  std::vector<std::vector<results::RecordedKernel>> kernels;
  for (const auto& id : *ids) {
    auto h = db->kernel(id);
    if (!h) return bad(err, h.error().message);
    kernels.push_back(std::move(*h));
  }
  out << "history: " << path.string() << "\n" << results::format_history_overview(*runs, kernels);
  return 0;
}

void ReportCommands::add_to(CLI::App& app) {
  report_cmd_ = app.add_subcommand("report", "Regenerate summary.txt, summary.md, junit.xml, matrix.html and matrix.svg from OUT/results.json");
  report_cmd_->add_option("out", report_.out, "The output directory of a kgrid run")->required();
  report_cmd_->add_option("--db", report_.db, "History database for trends in matrix.html (default: the user's, if it exists)");
  report_cmd_->add_flag("--no-history", report_.no_history, "Do not read the history database");

  compare_cmd_ = app.add_subcommand("compare", "Compare two runs: regressions, fixes, new and vanished kernels, metric regressions; exit 1 on a regression");
  compare_cmd_->add_option("base", compare_.base, "The baseline: an OUT directory or results.json")->required();
  compare_cmd_->add_option("new", compare_.now, "The new run: an OUT directory or results.json")->required();
  compare_cmd_->add_option("--text", compare_.text, "Also write the text report to this file");
  compare_cmd_->add_option("--md", compare_.md, "Write a Markdown report to this file (e.g. $GITHUB_STEP_SUMMARY)");
  compare_cmd_->add_option("--json", compare_.json, "Write a JSON report to this file");
  compare_cmd_->add_option("--events-drop-pct", compare_.thresholds.events_drop_pct, "events/s falling by more than this % is slower")->capture_default_str();
  compare_cmd_->add_option("--boot-increase-pct", compare_.thresholds.boot_increase_pct, "Boot time growing by more than this %...")->capture_default_str();
  compare_cmd_->add_option("--boot-min-increase", compare_.thresholds.boot_min_increase_s, "...and by at least this many seconds is a regression")->capture_default_str();
  compare_cmd_->add_option("--drops-increase", compare_.thresholds.drops_increase, "Dropped events growing by more than this is a regression")->capture_default_str();
  compare_cmd_->add_option("--overhead-points", compare_.thresholds.overhead_points, "The driver's overhead growing by more than this many % points...")->capture_default_str();
  compare_cmd_->add_option("--overhead-rel-pct", compare_.thresholds.overhead_rel_pct, "...and by more than this % of the old overhead is slower")->capture_default_str();
  compare_cmd_->add_option("--load-increase-pct", compare_.thresholds.load_increase_pct, "The probe's load time growing by more than this %...")->capture_default_str();
  compare_cmd_->add_option("--load-min-increase", compare_.thresholds.load_min_increase_s, "...and by at least this many seconds is slower")->capture_default_str();

  CLI::App* history = app.add_subcommand("history", "A local record of runs (SQLite): when did a kernel start failing, how did boot time move");
  history->require_subcommand(1);
  history->add_option("--db", history_.db, "History database (default: $KGRID_HISTORY_DB or ~/.local/share/kgrid/history.sqlite)");
  history_add_ = history->add_subcommand("add", "Record OUT/results.json in the history");
  history_add_->add_option("out", history_.out, "The output directory of a kgrid run (or its results.json)")->required();
  history_add_->add_option("--db", history_.db, "History database");
  history_show_ = history->add_subcommand("show", "Show recorded runs, or one kernel's history with --kernel");
  history_show_->add_option("--kernel,-k", history_.kernel, "A kernel id, e.g. debian-bookworm-6.1.0-50-amd64");
  history_show_->add_option("--db", history_.db, "History database");
}

std::optional<int> ReportCommands::dispatch() const {
  if (report_cmd_ && report_cmd_->parsed()) return report_command(report_, std::cout, std::cerr);
  if (compare_cmd_ && compare_cmd_->parsed()) return compare_command(compare_, std::cout, std::cerr);
  if (history_add_ && history_add_->parsed()) return history_add_command(history_, std::cout, std::cerr);
  if (history_show_ && history_show_->parsed()) return history_show_command(history_, std::cout, std::cerr);
  return std::nullopt;
}

}  // namespace kgrid::host
