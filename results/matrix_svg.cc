// matrix.svg: a compact picture of the grid: one square per kernel and
// column (plus the kernel's own verdict), grouped by series, with a legend.
// Each square has a <title>, so SVG viewers show the reason on hover.
#include <fmt/format.h>

#include <algorithm>

#include "results/grid_view.h"
#include "results/reports.h"
#include "results/text_util.h"

namespace kgrid::results {
namespace {

constexpr double kChar = 6.6;  // width of one 11px monospace character
constexpr double kRow = 18, kCell = 16, kGap = 2, kPad = 8;

const char* fill(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "#34a853";
    case Verdict::Skip: return "#9aa0a6";
    case Verdict::Fail: return "#d93025";
    case Verdict::Timeout: return "#e8710a";
    case Verdict::Panic: return "#8e24aa";
    case Verdict::BootFail: return "#8b1a1a";
    case Verdict::InfraError: return "#f9ab00";
  }
  return "#000";
}

std::string esc(std::string_view s) { return xml_escape(clean_text(s)); }

std::string square(double x, double y, std::optional<Verdict> v, const std::string& title) {
  if (!v)
    return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#dadce0\"/>\n", x, y,
                       kCell, kCell);
  return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"{}\" class=\"v-{}\"><title>{}</title></rect>\n",
                     x, y, kCell, kCell, fill(*v), verdict_name(*v), esc(clip(title, 600)));
}

}  // namespace

std::string format_matrix_svg(const ReportInput& in) {
  GridView view = make_grid_view(*in.run);
  size_t id_chars = 10;
  for (const auto& g : view.groups) {
    id_chars = std::max(id_chars, g.label.size());
    for (const auto& r : g.rows) id_chars = std::max(id_chars, r.kernel->id.size());
  }
  double label_w = kPad + static_cast<double>(id_chars) * kChar + 10;
  // Column i: x position and width (wide enough for its label).
  std::vector<std::string> labels = {"kernel"};
  for (const auto& c : view.columns) labels.push_back(c.label());
  std::vector<double> xs, ws;
  double x = label_w;
  for (const auto& l : labels) {
    double w = std::max(kCell + 8, static_cast<double>(std::min<size_t>(l.size(), 24)) * kChar + 8);
    xs.push_back(x);
    ws.push_back(w);
    x += w + kGap;
  }
  double legend_chars = 0;
  for (const auto& [v, n] : view.totals) legend_chars += std::string(verdict_name(v)).size() + 6;
  double width = std::max(x + kPad, kPad * 2 + 20 * static_cast<double>(view.totals.size()) + legend_chars * kChar);

  std::string body;
  double y = kPad + 14;
  for (size_t i = 0; i < labels.size(); ++i)
    body += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"h\">{}</text>\n", xs[i] + ws[i] / 2, y,
                        esc(clip(labels[i], 24)));
  y += 8;
  for (const auto& g : view.groups) {
    y += kRow;
    body += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"g\">{}</text>\n", kPad, y - 5, esc(g.label));
    for (const auto& r : g.rows) {
      const KernelResult& k = *r.kernel;
      body += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", kPad + 8, y + kRow - 5, esc(k.id));
      double cy = y + (kRow - kCell) / 2;
      std::string ktitle = k.id + ": " + verdict_name(k.verdict) + (k.reason.empty() ? "" : " — " + k.reason);
      body += square(xs[0] + (ws[0] - kCell) / 2, cy, k.verdict, ktitle);
      for (size_t c = 0; c < r.cells.size(); ++c) {
        const Cell& cell = r.cells[c];
        auto v = cell.verdict();
        std::string title = k.id + " · " + view.columns[c].label() + ": " + (v ? verdict_name(*v) : "not run");
        std::string why = cell.build && cell.build != Verdict::Pass ? cell.build_reason : cell.reason;
        if (!why.empty()) title += " — " + why;
        body += square(xs[c + 1] + (ws[c + 1] - kCell) / 2, cy, v, title);
      }
      y += kRow;
    }
  }
  y += kRow;
  double lx = kPad;
  for (const auto& [v, n] : view.totals) {
    body += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" rx=\"2\" fill=\"{}\"/>", lx, y - 10, fill(v));
    std::string text = fmt::format("{} {}", n, verdict_name(v));
    body += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", lx + 16, y, text);
    lx += 16 + static_cast<double>(text.size()) * kChar + 14;
  }
  double height = y + kPad;
  return fmt::format(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
             "font-family=\"DejaVu Sans Mono, monospace\" font-size=\"11\">\n"
             "<title>kgrid: {2} kernel(s)</title>\n"
             "<style>.h{{text-anchor:middle;font-weight:bold}} .g{{font-weight:bold;fill:#1a73e8}}</style>\n"
             "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
             width, height, view.kernels) +
         body + "</svg>\n";
}

}  // namespace kgrid::results
