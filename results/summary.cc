#include <fmt/format.h>

#include <map>

#include "results/results.h"

namespace kgrid::results {

std::string format_summary(const RunResults& run) {
  size_t id_width = 10;
  for (const auto& k : run.kernels) id_width = std::max(id_width, k.id.size());

  std::string out = fmt::format("kgrid {}  started {}  accel {}  {} kernel(s)  wall {:.1f}s{}\n\n",
                                run.kgrid_version, run.started_at, run.accel, run.kernels.size(),
                                run.wall_s, run.interrupted ? "  INTERRUPTED" : "");
  std::map<Verdict, int> totals;
  for (const auto& k : run.kernels) {
    ++totals[k.verdict];
    std::string timing = k.boot_s > 0 ? fmt::format("boot {:.1f}s total {:.1f}s", k.boot_s, k.duration_s)
                                      : fmt::format("total {:.1f}s", k.duration_s);
    out += fmt::format("{:<11} {:<{}}  {:<24}", verdict_name(k.verdict), k.id, id_width, timing);
    if (!k.reason.empty()) out += "  " + k.reason;
    out += "\n";
    for (const auto& t : k.tests) {
      std::string line = fmt::format("    {:<9} {}", verdict_name(t.verdict), t.name);
      if (!t.reason.empty()) line += ": " + t.reason;
      out += line + "\n";
    }
    for (const auto& w : k.warnings) out += "    warning: " + w + "\n";
  }
  out += "\ntotals:";
  bool first = true;
  for (const auto& [verdict, count] : totals) {
    out += fmt::format("{} {} {}", first ? "" : ",", count, verdict_name(verdict));
    first = false;
  }
  if (run.kernels.empty()) out += " no kernels";
  out += "\n";
  return out;
}

}  // namespace kgrid::results
