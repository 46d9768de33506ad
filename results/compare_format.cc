// The three renderings of a Comparison: text for a terminal, Markdown for a
// CI step summary, JSON for machines.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "results/compare.h"
#include "results/text_util.h"

namespace kgrid::results {
namespace {

std::string where(const std::string& kernel, const std::string& item) {
  return item.empty() ? kernel : kernel + ": " + item;
}

std::string metric_text(const MetricChange& m) {
  if (m.metric == "cost.overhead_pct")
    return fmt::format("overhead {} -> {} ({:+.1f} points)", signed_percent(m.base), signed_percent(m.now),
                       m.now - m.base);
  auto value = [&](double v) {
    if (m.metric == "boot_s") return fmt::format("{:.1f}s", v);
    if (m.metric == "load_ms") return fmt::format("{:.2f}s", v / 1000);
    return human_number(v);
  };
  std::string name = m.metric == "boot_s"         ? "boot time"
                     : m.metric == "events_per_s" ? "events/s"
                     : m.metric == "load_ms"      ? "probe load time"
                                                  : m.metric;
  std::string out = fmt::format("{} {} -> {}", name, value(m.base), value(m.now));
  if (m.change_pct) out += fmt::format(" ({:+.0f}%)", *m.change_pct);
  return out;
}

std::string verdict_change(const VerdictChange& v) {
  return fmt::format("{} -> {}", verdict_name(v.base), verdict_name(v.now));
}

}  // namespace

std::string format_comparison_text(const Comparison& c, const std::string& base_label, const std::string& new_label) {
  std::string out = fmt::format("kgrid compare {} -> {}\n", base_label, new_label);
  out += fmt::format("{} kernel(s) in both, {} new, {} vanished; {} regression(s), {} metric regression(s), {} slower, {} fix(es)\n",
                     c.common_kernels, c.new_kernels.size(), c.vanished_kernels.size(), c.regressions.size(),
                     c.metric_regressions.size(), c.slower.size(), c.fixes.size());
  auto section = [&](const char* title, const auto& items, auto line) {
    if (items.empty()) return;
    out += fmt::format("\n{} ({}):\n", title, items.size());
    for (const auto& item : items) out += "  " + line(item) + "\n";
  };
  auto change_line = [](const VerdictChange& v) {
    std::string s = fmt::format("{:<22} {}", verdict_change(v), where(v.kernel, v.item));
    if (!v.reason.empty()) s += "  (" + first_line(v.reason) + ")";
    return s;
  };
  section("REGRESSIONS", c.regressions, change_line);
  auto metric_line = [](const MetricChange& m) { return fmt::format("{}: {}", where(m.kernel, m.item), metric_text(m)); };
  section("METRIC REGRESSIONS", c.metric_regressions, metric_line);
  section("SLOWER", c.slower, metric_line);
  section("fixes", c.fixes, change_line);
  section("other verdict changes", c.changes, change_line);
  auto plain = [](const std::string& s) { return s; };
  section("new kernels", c.new_kernels, plain);
  section("vanished kernels", c.vanished_kernels, plain);
  section("new tests", c.new_tests, plain);
  section("vanished tests", c.vanished_tests, plain);
  out += c.regressed() ? "\nresult: REGRESSED\n" : "\nresult: no regressions\n";
  return out;
}

std::string format_comparison_md(const Comparison& c, const std::string& base_label, const std::string& new_label) {
  std::string out = fmt::format("### {} kgrid compare: {} regression(s), {} metric regression(s), {} slower, {} fix(es)\n\n",
                                c.regressed() ? "❌" : "✅", c.regressions.size(), c.metric_regressions.size(),
                                c.slower.size(), c.fixes.size());
  out += fmt::format("`{}` → `{}` · {} kernel(s) in both · {} new · {} vanished\n", md_cell(base_label),
                     md_cell(new_label), c.common_kernels, c.new_kernels.size(), c.vanished_kernels.size());
  auto changes = [&](const char* title, const std::vector<VerdictChange>& items) {
    if (items.empty()) return;
    out += fmt::format("\n**{}**\n\n| kernel | test | change | reason |\n| --- | --- | --- | --- |\n", title);
    for (const auto& v : items)
      out += fmt::format("| `{}` | {} | {} → {} | {} |\n", md_cell(v.kernel), v.item.empty() ? "(kernel)" : md_cell(v.item),
                         verdict_name(v.base), verdict_name(v.now), md_cell(clip(first_line(v.reason), 300)));
  };
  changes("Regressions", c.regressions);
  auto metrics = [&](const char* title, const std::vector<MetricChange>& items) {
    if (items.empty()) return;
    out += fmt::format("\n**{}**\n\n| kernel | test | change |\n| --- | --- | --- |\n", title);
    for (const auto& m : items)
      out += fmt::format("| `{}` | {} | {} |\n", md_cell(m.kernel), m.item.empty() ? "(kernel)" : md_cell(m.item),
                         md_cell(metric_text(m)));
  };
  metrics("Metric regressions", c.metric_regressions);
  metrics("Slower", c.slower);
  changes("Fixes", c.fixes);
  changes("Other verdict changes", c.changes);
  auto list = [&](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += fmt::format("\n**{}:** ", title);
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", `" : "`") + md_cell(items[i]) + "`";
    out += "\n";
  };
  list("New kernels", c.new_kernels);
  list("Vanished kernels", c.vanished_kernels);
  list("New tests", c.new_tests);
  list("Vanished tests", c.vanished_tests);
  return out;
}

std::string format_comparison_json(const Comparison& c, const std::string& base_label, const std::string& new_label,
                                   const CompareOptions& o) {
  using json = nlohmann::json;
  auto changes = [](const std::vector<VerdictChange>& items) {
    json a = json::array();
    for (const auto& v : items)
      a.push_back({{"kernel", v.kernel}, {"test", v.item}, {"base", verdict_name(v.base)},
                   {"new", verdict_name(v.now)}, {"reason", v.reason}});
    return a;
  };
  auto metrics = [](const std::vector<MetricChange>& items) {
    json a = json::array();
    for (const auto& m : items) {
      json j = {{"kernel", m.kernel}, {"test", m.item}, {"metric", m.metric}, {"base", m.base}, {"new", m.now}};
      j["change_pct"] = m.change_pct ? json(*m.change_pct) : json(nullptr);
      a.push_back(j);
    }
    return a;
  };
  json j = {{"schema", 1},
            {"base", base_label},
            {"new", new_label},
            {"regressed", c.regressed()},
            {"thresholds",
             {{"events_drop_pct", o.events_drop_pct},
              {"boot_increase_pct", o.boot_increase_pct},
              {"boot_min_increase_s", o.boot_min_increase_s},
              {"drops_increase", o.drops_increase},
              {"overhead_points", o.overhead_points},
              {"overhead_rel_pct", o.overhead_rel_pct},
              {"load_increase_pct", o.load_increase_pct},
              {"load_min_increase_s", o.load_min_increase_s}}},
            {"common_kernels", c.common_kernels},
            {"unchanged", c.unchanged},
            {"regressions", changes(c.regressions)},
            {"metric_regressions", metrics(c.metric_regressions)},
            {"slower", metrics(c.slower)},
            {"fixes", changes(c.fixes)},
            {"changes", changes(c.changes)},
            {"new_kernels", c.new_kernels},
            {"vanished_kernels", c.vanished_kernels},
            {"new_tests", c.new_tests},
            {"vanished_tests", c.vanished_tests}};
  return j.dump(2) + "\n";
}

}  // namespace kgrid::results
