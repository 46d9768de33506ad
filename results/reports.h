// The report writers. Each renders the GridView of one run; write_reports
// writes them all into OUT (the directory holding results.json).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "results/results.h"

namespace kgrid::results {

// One past run of a kernel, from the history database, for trend lines.
struct TrendPoint {
  std::string started_at;
  Verdict verdict = Verdict::Pass;
  double boot_s = 0;
  std::optional<double> events_per_s;
};
using Trends = std::map<std::string, std::vector<TrendPoint>>;  // by kernel id, oldest first

struct ReportInput {
  const RunResults* run = nullptr;
  std::string out_dir;            // as the user wrote it, for repro commands ("OUT" if empty)
  std::filesystem::path out_path; // where console logs are read from (OUT/kernels/<id>/console.log)
  const Trends* trends = nullptr; // optional
};

// summary.md: a compact emoji matrix for a CI step summary.
std::string format_summary_md(const ReportInput& in);

// junit.xml: one testsuite per kernel, one testcase per (driver, compiler, test).
std::string format_junit(const ReportInput& in);

// matrix.html: one self-contained page (no network), sortable and filterable.
std::string format_matrix_html(const ReportInput& in);

// matrix.svg: a compact picture of the grid.
std::string format_matrix_svg(const ReportInput& in);

// The repro command for one kernel: kgrid repro OUT/kernels/<id>.
std::string repro_command(const std::string& out_dir, const KernelResult& k);

// Reads OUT/results.json and (re)writes summary.txt, summary.md, junit.xml,
// matrix.html and matrix.svg beside it. `display_out` is how OUT is shown in
// repro commands (default: out as given).
Status write_reports(const std::filesystem::path& out, const Trends* trends = nullptr,
                     const std::string& display_out = "");

// The last kTrendRuns runs of each kernel of OUT, from a history database.
inline constexpr size_t kTrendRuns = 20;
Result<Trends> load_trends(const std::filesystem::path& out, const std::filesystem::path& db_path,
                           size_t limit = kTrendRuns);

}  // namespace kgrid::results
