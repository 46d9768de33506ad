// summary.txt: the run at a glance, grouped by distro and series.
#include <fmt/format.h>

#include <map>

#include "results/grid_view.h"
#include "results/reports.h"
#include "results/results.h"
#include "results/text_util.h"

namespace kgrid::results {
namespace {

std::string totals_text(const std::map<Verdict, int>& totals) {
  std::string out;
  for (const auto& [verdict, count] : totals)
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", count, verdict_name(verdict));
  return out;
}

std::string test_metrics(const TestResult& t) {
  std::string out;
  if (auto eps = events_per_s(t)) out += fmt::format("  events/s {}", human_number(*eps));
  if (auto d = dropped(t)) out += fmt::format("  drops {}", human_number(*d));
  if (auto o = overhead_pct(t)) {
    out += "  overhead " + signed_percent(*o);
    auto base = t.metrics.find("cost.base_ns_per_op"), probe = t.metrics.find("cost.probe_ns_per_op");
    auto wall = t.metrics.find("cost.wall_overhead_pct");
    if (base != t.metrics.end() && probe != t.metrics.end())
      out += fmt::format(" ({:.0f} -> {:.0f} ns/op{})", base->second, probe->second,
                         wall == t.metrics.end() ? "" : ", wall " + signed_percent(wall->second));
  }
  if (auto it = t.metrics.find("load_ms"); it != t.metrics.end())
    out += fmt::format("  load {}ms", human_number(it->second));
  if (auto it = t.metrics.find("duration_ms"); it != t.metrics.end())
    out += fmt::format("  test {:.1f}s", it->second / 1000);
  return out;
}

void kernel_lines(std::string& out, const KernelResult& k, bool failing, const std::string& out_dir,
                  size_t id_width) {
  std::string timing = k.boot_s > 0 ? fmt::format("boot {:.1f}s", k.boot_s) : "";
  if (k.boot_s > 0 && k.init_s > 0) timing += fmt::format(" (kernel {:.1f}s)", k.init_s);
  timing += fmt::format("{}total {:.1f}s", timing.empty() ? "" : " ", k.duration_s);
  std::string what = k.arch;
  if (!k.flavor.empty()) what += " " + k.flavor;
  std::string line = fmt::format("  {:<11} {:<{}}  {:<18}  {}", verdict_name(k.verdict), k.id, id_width, what, timing);
  if (!k.reason.empty() && !reason_from_tests(k)) line += "  " + first_line(k.reason);
  if (failing) line += "  => " + repro_command(out_dir, k);
  out += line + "\n";
  for (const auto& b : k.builds) {
    std::string col = b.compiler.empty() ? b.driver : b.driver + " / " + b.compiler;
    out += fmt::format("    build {:<9} {}{}\n", verdict_name(b.verdict), col, b.reason.empty() ? "" : ": " + first_line(b.reason));
  }
  for (const auto& t : k.tests) {
    std::string name = t.compiler.empty() ? t.name : t.name + " [" + t.compiler + "]";
    std::string test_line = fmt::format("    {:<9} {}", verdict_name(t.verdict), name);
    if (!t.reason.empty()) test_line += ": " + first_line(t.reason);
    if (t.verdict == Verdict::Pass) test_line += test_metrics(t);  // a failure's reason has its own numbers
    out += test_line + "\n";
  }
  for (const auto& w : k.warnings) out += "    warning: " + w + "\n";
  if (!k.accel_note.empty()) out += "    accel: " + k.accel + ", " + k.accel_note + "\n";
}

}  // namespace

std::string repro_command(const std::string& out_dir, const KernelResult& k) {
  std::string out = out_dir.empty() ? "OUT" : out_dir;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return "kgrid repro " + shell_word(out + "/kernels/" + k.id);
}

std::string format_summary(const RunResults& run, const std::string& out_dir) {
  GridView view = make_grid_view(run);
  size_t id_width = 10;
  for (const auto& k : run.kernels) id_width = std::max(id_width, k.id.size());

  std::string out = fmt::format("kgrid {}  started {}  accel {}  {} kernel(s)  wall {:.1f}s{}\n",
                                run.kgrid_version, run.started_at, run.accel, run.kernels.size(),
                                run.wall_s, run.interrupted ? "  INTERRUPTED" : "");
  if (!run.accel_reason.empty()) out += "accel: " + run.accel_reason + "\n";
  for (const auto& group : view.groups) {
    std::map<Verdict, int> totals;
    for (const auto& row : group.rows) ++totals[row.kernel->verdict];
    out += fmt::format("\n{}  ({} kernel{}: {})\n", group.label, group.rows.size(),
                       group.rows.size() == 1 ? "" : "s", totals_text(totals));
    for (const auto& row : group.rows) kernel_lines(out, *row.kernel, row.failing(), out_dir, id_width);
  }
  out += "\ntotals: " + (run.kernels.empty() ? std::string("no kernels") : totals_text(view.totals)) + "\n";
  return out;
}

}  // namespace kgrid::results
