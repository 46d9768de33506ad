// write_reports: every report, regenerated from OUT/results.json.
#include "results/reports.h"

#include "results/history.h"

namespace kgrid::results {

Status write_reports(const std::filesystem::path& out, const Trends* trends, const std::string& display_out) {
  auto run = read_results_file(out / "results.json");
  if (!run) return run.error();
  ReportInput in;
  in.run = &*run;
  in.out_dir = display_out.empty() ? out.string() : display_out;
  in.out_path = out;
  in.trends = trends;
  const std::pair<const char*, std::string> files[] = {
      {"summary.txt", format_summary(*run, in.out_dir)},
      {"summary.md", format_summary_md(in)},
      {"junit.xml", format_junit(in)},
      {"matrix.html", format_matrix_html(in)},
      {"matrix.svg", format_matrix_svg(in)},
  };
  for (const auto& [name, text] : files)
    if (auto st = write_file_atomic(out / name, text); !st) return st;
  return ok_status();
}

Result<Trends> load_trends(const std::filesystem::path& out, const std::filesystem::path& db_path, size_t limit) {
  auto run = read_results_file(out / "results.json");
  if (!run) return run.error();
  auto db = HistoryDb::open(db_path, /*create=*/false);
  if (!db) return db.error();
  std::vector<std::string> ids;
  for (const auto& k : run->kernels) ids.push_back(k.id);
  return db->trends(ids, limit);
}

Status regenerate_reports(const std::filesystem::path& out) {
  std::error_code ec;
  std::filesystem::path db = default_history_path();
  Trends trends;
  if (std::filesystem::exists(db, ec))
    if (auto loaded = load_trends(out, db, kTrendRuns)) trends = std::move(*loaded);  // history is optional
  return write_reports(out, trends.empty() ? nullptr : &trends);
}

}  // namespace kgrid::results
