// summary.md: a compact Markdown matrix for a CI step summary.
#include <fmt/format.h>

#include "results/grid_view.h"
#include "results/reports.h"
#include "results/text_util.h"

namespace kgrid::results {
namespace {

std::string cell_text(const Cell& cell, bool has_builds) {
  auto show = [](std::optional<Verdict> v) {
    if (!v) return std::string("·");
    std::string s = verdict_emoji(*v);
    if (*v != Verdict::Pass) s += std::string(" ") + verdict_name(*v);
    return s;
  };
  std::string out = has_builds ? "build " + show(cell.build) + "<br>run " + show(cell.runtime) : show(cell.runtime);
  // The driver's cost and throughput, under the verdict.
  std::string m;
  if (cell.overhead_pct) m = signed_percent(*cell.overhead_pct);
  if (cell.events_per_s) m += (m.empty() ? "" : " · ") + human_number(*cell.events_per_s) + " ev/s";
  if (!m.empty() && cell.runtime == Verdict::Pass) out += "<br><sub>" + md_cell(m) + "</sub>";
  return out;
}

}  // namespace

std::string format_summary_md(const ReportInput& in) {
  const RunResults& run = *in.run;
  GridView view = make_grid_view(run);
  size_t passed = view.totals.count(Verdict::Pass) ? view.totals.at(Verdict::Pass) : 0;
  bool all_ok = passed == run.kernels.size() && !run.kernels.empty();

  std::string out = fmt::format("### {} kgrid: {} of {} kernel(s) passed\n\n", all_ok ? "✅" : "❌", passed,
                                run.kernels.size());
  out += fmt::format("accel {}{} · wall {:.1f} s · started {} · kgrid {}{}\n\n", md_cell(run.accel),
                     run.accel_reason.empty() ? "" : " (" + md_cell(run.accel_reason) + ")", run.wall_s,
                     md_cell(run.started_at), md_cell(run.kgrid_version),
                     run.interrupted ? " · **interrupted**" : "");

  out += "| kernel | series | arch | boot |";
  std::string rule = "| --- | --- | --- | ---: |";
  for (const auto& c : view.columns) {
    out += " " + md_cell(c.label()) + " |";
    rule += " :---: |";
  }
  out += "\n" + rule + "\n";
  for (const auto& group : view.groups) {
    for (const auto& row : group.rows) {
      const KernelResult& k = *row.kernel;
      std::string arch = k.flavor.empty() ? k.arch : k.arch + " " + k.flavor;
      out += fmt::format("| {} `{}` | {} | {} | {} |", verdict_emoji(k.verdict), md_cell(k.id), md_cell(group.label),
                         md_cell(arch), k.boot_s > 0 ? fmt::format("{:.1f} s", k.boot_s) : "–");
      for (const auto& cell : row.cells) out += " " + cell_text(cell, view.has_builds) + " |";
      out += "\n";
    }
  }

  std::string totals;
  for (const auto& [verdict, count] : view.totals)
    totals += fmt::format("{}{} {} {}", totals.empty() ? "" : " · ", verdict_emoji(verdict), count, verdict_name(verdict));
  out += "\n**totals:** " + (run.kernels.empty() ? std::string("no kernels") : totals) + "\n";

  std::string failures;
  size_t failing = 0;
  for (const auto& group : view.groups) {
    for (const auto& row : group.rows) {
      if (!row.failing()) continue;
      ++failing;
      const KernelResult& k = *row.kernel;
      std::string reason = k.reason;
      if (reason.empty())
        for (const auto& cell : row.cells)
          if (cell.failing()) reason = cell.build && cell.build != Verdict::Pass ? cell.build_reason : cell.reason;
      failures += fmt::format("- {} **{}** {}: {}  \n  `{}`\n", verdict_emoji(k.verdict), md_cell(k.id),
                              verdict_name(k.verdict), md_cell(clip(first_line(reason), 300)),
                              repro_command(in.out_dir, k));
    }
  }
  if (failing > 0)
    out += fmt::format("\n<details><summary>{} failing kernel(s): reasons and repro commands</summary>\n\n{}\n</details>\n",
                       failing, failures);
  return out;
}

}  // namespace kgrid::results
