// matrix.html: the grid as one self-contained page. Rows are kernels grouped
// by series, columns are (driver, compiler); each cell is coloured by its
// verdict, shows the reason (in full on hover or click) and links the
// kernel's console. Filters and sorting are in matrix_assets.cc.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "results/grid_view.h"
#include "results/matrix_assets.h"
#include "results/reports.h"
#include "results/text_util.h"

namespace kgrid::results {
namespace {

std::string esc(std::string_view s) { return xml_escape(clean_text(s)); }

std::string num(std::optional<double> v) { return v ? fmt::format("{:.6g}", *v) : ""; }

// "BOOT_FAIL" -> "boot_fail", the CSS variable names in matrix_assets.cc.
std::string css_name(Verdict v) {
  std::string s = verdict_name(v);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string console_href(const KernelResult& k) { return "kernels/" + url_segment(k.id) + "/console.log"; }

std::string badge(const char* prefix, std::optional<Verdict> v) {
  if (!v) return fmt::format("<span class=\"badge s-SKIP\">{}–</span>", prefix);
  return fmt::format("<span class=\"badge s-{0}\">{1}{0}</span>", verdict_name(*v), prefix);
}

std::string metrics_table(const std::map<std::string, double>& metrics) {
  if (metrics.empty()) return "";
  std::string out = "<table>";
  for (const auto& [name, value] : metrics)
    out += fmt::format("<tr><th>{}</th><td class=\"num\">{}</td></tr>", esc(name), esc(human_number(value)));
  return out + "</table>";
}

// What the detail panel shows for a cell: every test and build with reasons
// and metrics, and the console link.
std::string cell_detail(const KernelResult& k, const ColumnKey& column, const Cell& cell) {
  std::string out = fmt::format("<h2>{} · {}</h2>", esc(k.id), esc(column.label()));
  if (cell.build)
    out += fmt::format("<p>build {}</p>{}", badge("", cell.build),
                       cell.build_reason.empty() ? "" : "<pre>" + esc(cell.build_reason) + "</pre>");
  for (const TestResult* t : cell.tests) {
    out += fmt::format("<p>test <b>{}</b> {}</p>", esc(t->name), badge("", t->verdict));
    if (!t->reason.empty()) out += "<pre class=\"why\">" + esc(t->reason) + "</pre>";
    out += metrics_table(t->metrics);
  }
  if (cell.tests.empty() && !cell.reason.empty())
    out += fmt::format("<p>kernel {}</p><pre class=\"why\">{}</pre>", badge("", k.verdict), esc(cell.reason));
  out += fmt::format("<p><a href=\"{}\">console.log</a> · boot {:.1f} s{} · {}</p>", console_href(k), k.boot_s,
                     k.init_s > 0 ? fmt::format(" (kernel {:.1f} s)", k.init_s) : "", esc(k.version));
  return out;
}

std::string cell_html(const KernelResult& k, const ColumnKey& column, const Cell& cell, bool has_builds) {
  auto v = cell.verdict();
  if (!v) return "<td class=\"cell none\" data-v=\"\">–</td>";
  std::string reason = cell.reason;
  // One test named like its column needs no "name: " before its reason.
  if (cell.tests.size() == 1 && cell.tests[0]->name == column.driver) reason = cell.tests[0]->reason;
  if (cell.build && *cell.build != Verdict::Pass && *cell.build != Verdict::Skip) reason = "build: " + cell.build_reason;
  std::string out = fmt::format("<td class=\"cell v-{0}\" data-verdict=\"{0}\" data-column=\"{1}\" data-v=\"{2}\" tabindex=\"0\"",
                                verdict_name(*v), esc(column.label()), static_cast<int>(*v));
  if (!reason.empty()) out += " title=\"" + esc(clip(reason, 2000)) + "\"";
  out += "><div class=\"badges\">";
  out += has_builds ? badge("build ", cell.build) + badge("run ", cell.runtime) : badge("", cell.runtime);
  out += "</div>";
  if (!reason.empty()) out += "<div class=\"reason\">" + esc(clip(reason, 400)) + "</div>";
  std::string m;
  if (cell.overhead_pct) m += signed_percent(*cell.overhead_pct) + " overhead · ";
  if (cell.events_per_s) m += human_number(*cell.events_per_s) + " ev/s";
  if (cell.drops) m += (m.empty() ? "" : " · ") + human_number(*cell.drops) + " drops";
  if (!m.empty()) out += "<div class=\"m\">" + esc(m) + "</div>";
  out += "<div class=\"detail\">" + cell_detail(k, column, cell) + "</div></td>";
  return out;
}

// A small picture of past runs: one dot per run coloured by verdict, and the
// boot time as a line.
std::string trend_svg(const std::vector<TrendPoint>& points) {
  if (points.empty()) return "";
  constexpr double kW = 120, kH = 26, kPad = 4;
  size_t n = points.size();
  double max_boot = 0;
  for (const auto& p : points) max_boot = std::max(max_boot, p.boot_s);
  auto x = [&](size_t i) { return n == 1 ? kW / 2 : kPad + (kW - 2 * kPad) * static_cast<double>(i) / static_cast<double>(n - 1); };
  std::string line, dots, title;
  for (size_t i = 0; i < n; ++i) {
    const auto& p = points[i];
    double y = max_boot > 0 ? kH - 8 - (kH - 14) * p.boot_s / max_boot : kH - 8;
    line += fmt::format("{}{:.1f},{:.1f}", i ? " " : "", x(i), y);
    dots += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" style=\"fill:var(--{}-s)\"/>", x(i), kH - 4.0,
                        css_name(p.verdict));
    title += fmt::format("{}{} {} boot {:.1f}s", i ? "\n" : "", p.started_at, verdict_name(p.verdict), p.boot_s);
    if (p.events_per_s) title += " " + human_number(*p.events_per_s) + " ev/s";
  }
  return fmt::format(
      "<svg class=\"trend\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\"><title>{2}</title>"
      "<polyline points=\"{3}\" fill=\"none\" stroke=\"#1a73e8\" stroke-width=\"1.5\"/>{4}</svg>",
      kW, kH, esc(title), line, dots);
}

std::string row_html(const GridView& view, const Row& row, const Trends* trends) {
  const KernelResult& k = *row.kernel;
  std::string out = fmt::format(
      "<tr class=\"kernel\" data-id=\"{}\" data-series=\"{}\" data-arch=\"{}\" data-failing=\"{}\">",
      esc(k.id), esc(row.series), esc(k.arch), row.failing() ? 1 : 0);
  out += fmt::format("<td class=\"id\" data-v=\"{0}\"><a href=\"{1}\" title=\"console.log\">{0}</a><div class=\"ver\">{2}</div></td>",
                     esc(k.id), console_href(k), esc(k.version));
  out += fmt::format("<td data-v=\"{0}\">{0}</td><td data-v=\"{1}\">{1}</td>", esc(k.flavor), esc(k.arch));
  std::string kreason = k.reason.empty() ? "" : " title=\"" + esc(clip(k.reason, 2000)) + "\"";
  std::string kdetail = fmt::format("<h2>{}</h2><p>kernel {}</p>{}<p><a href=\"{}\">console.log</a> · {} · {}</p>", esc(k.id),
                                    badge("", k.verdict), k.reason.empty() ? "" : "<pre class=\"why\">" + esc(k.reason) + "</pre>",
                                    console_href(k), esc(k.version), esc(k.source));
  for (const auto& w : k.warnings) kdetail += "<p>warning: " + esc(w) + "</p>";
  if (!k.accel_note.empty()) kdetail += "<p>accel: " + esc(k.accel + ", " + k.accel_note) + "</p>";
  out += fmt::format("<td class=\"kv v-{0}\" data-v=\"{1}\" tabindex=\"0\"{2}>{0}<div class=\"detail\">{3}</div></td>",
                     verdict_name(k.verdict), static_cast<int>(k.verdict), kreason, kdetail);
  out += fmt::format("<td class=\"num\" data-v=\"{0}\">{1}</td>", k.boot_s > 0 ? num(k.boot_s) : "",
                     k.boot_s > 0 ? fmt::format("{:.1f}", k.boot_s) : "–");
  out += fmt::format("<td class=\"num\" data-v=\"{}\">{}</td>", num(row.events_per_s),
                     row.events_per_s ? human_number(*row.events_per_s) : "–");
  out += fmt::format("<td class=\"num\" data-v=\"{}\">{}</td>", num(row.drops), row.drops ? human_number(*row.drops) : "–");
  out += fmt::format("<td class=\"num\" data-v=\"{}\" title=\"the highest cost of a driver on this kernel\">{}</td>",
                     num(row.overhead_pct), row.overhead_pct ? signed_percent(*row.overhead_pct) : "–");
  if (trends) {
    auto it = trends->find(k.id);
    out += "<td class=\"trend\" data-v=\"\">" + (it == trends->end() ? std::string("–") : trend_svg(it->second)) + "</td>";
  }
  for (size_t c = 0; c < view.columns.size(); ++c) out += cell_html(k, view.columns[c], row.cells[c], view.has_builds);
  return out + "</tr>\n";
}

std::string options(const std::set<std::string>& values) {
  std::string out = "<option value=\"\">all</option>";
  for (const auto& v : values) out += fmt::format("<option value=\"{0}\">{0}</option>", esc(v));
  return out;
}

}  // namespace

std::string format_matrix_html(const ReportInput& in) {
  const RunResults& run = *in.run;
  GridView view = make_grid_view(run);
  const Trends* trends = in.trends && !in.trends->empty() ? in.trends : nullptr;
  std::set<std::string> series, arches;
  size_t failing = 0;
  for (const auto& g : view.groups) {
    series.insert(g.label);
    for (const auto& r : g.rows) {
      arches.insert(r.kernel->arch);
      failing += r.failing();
    }
  }

  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out += fmt::format("<title>kgrid matrix: {} kernel(s), {} failing</title>\n", view.kernels, failing);
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<style>" + std::string(kMatrixCss) + "</style>\n</head>\n<body>\n<header>\n<h1>kgrid matrix</h1>\n";
  out += fmt::format("<p class=\"meta\">{} kernel(s) · {} column(s) · started {} · accel {} · wall {:.1f} s · kgrid {}{}</p>\n",
                     view.kernels, view.columns.size(), esc(run.started_at), esc(run.accel), run.wall_s,
                     esc(run.kgrid_version), run.interrupted ? " · <b>interrupted</b>" : "");
  if (!run.accel_reason.empty()) out += "<p class=\"meta\">accel: " + esc(run.accel_reason) + "</p>\n";
  out += "<div class=\"totals\">";
  for (const auto& [v, count] : view.totals)
    out += fmt::format("<span class=\"chip s-{0}\" style=\"color:#fff\">{1} {0}</span>", verdict_name(v), count);
  out += "</div>\n</header>\n";

  out += "<form id=\"filters\" onsubmit=\"return false\">\n";
  out += "<label><input type=\"checkbox\" id=\"f-only\"> only failures</label>\n";
  out += "<label>series <select id=\"f-series\">" + options(series) + "</select></label>\n";
  out += "<label>arch <select id=\"f-arch\">" + options(arches) + "</select></label>\n";
  out += fmt::format("<span id=\"shown\">showing {0} of {0} kernels</span>\n</form>\n", view.kernels);

  size_t width = 8 + (trends ? 1 : 0) + view.columns.size();
  out += "<table id=\"grid\">\n<thead><tr class=\"cols\">";
  out += "<th data-type=\"text\">kernel</th><th data-type=\"text\">flavor</th><th data-type=\"text\">arch</th>"
         "<th data-type=\"num\">verdict</th><th data-type=\"num\">boot s</th><th data-type=\"num\">events/s</th>"
         "<th data-type=\"num\">drops</th><th data-type=\"num\">overhead</th>";
  if (trends) out += "<th data-type=\"text\">history</th>";
  for (const auto& c : view.columns)
    out += fmt::format("<th data-type=\"num\" class=\"col\">{}<small>{}</small></th>", esc(c.driver),
                       c.compiler.empty() ? (view.has_builds ? "build · run" : "") : esc(c.compiler));
  out += "</tr></thead>\n";
  for (const auto& group : view.groups) {
    size_t group_failing = 0;
    for (const auto& r : group.rows) group_failing += r.failing();
    out += fmt::format("<tbody class=\"group\" data-series=\"{}\">\n<tr class=\"group-head\"><th colspan=\"{}\">{}"
                       "<span class=\"count\">{} kernel(s), {} failing</span></th></tr>\n",
                       esc(group.label), width, esc(group.label), group.rows.size(), group_failing);
    for (const auto& row : group.rows) out += row_html(view, row, trends);
    out += "</tbody>\n";
  }
  out += "</table>\n";
  if (view.columns.empty()) out += "<p class=\"note\">No test results: no kernel got as far as running a test.</p>\n";
  if (!view.has_builds) out += "<p class=\"note\">Build results: none recorded in this run; cells show runtime verdicts.</p>\n";
  out += "<aside id=\"detail\" hidden><button class=\"close\" type=\"button\" aria-label=\"close\">×</button><div class=\"body\"></div></aside>\n";
  out += "<script>" + std::string(kMatrixJs) + "</script>\n</body></html>\n";
  return out;
}

}  // namespace kgrid::results
