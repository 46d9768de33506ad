#include "results/grid_view.h"

#include <algorithm>
#include <set>

#include "results/kernel_info.h"

namespace kgrid::results {
namespace {

bool ok_verdict(Verdict v) { return v == Verdict::Pass || v == Verdict::Skip; }

ColumnKey column_of(const TestResult& t) { return {t.driver.empty() ? t.name : t.driver, t.compiler}; }

std::optional<double> metric(const TestResult& t, const char* name) {
  auto it = t.metrics.find(name);
  if (it == t.metrics.end()) return std::nullopt;
  return it->second;
}

void keep_min(std::optional<double>& into, std::optional<double> v) {
  if (v && (!into || *v < *into)) into = v;
}

void keep_max(std::optional<double>& into, std::optional<double> v) {
  if (v && (!into || *v > *into)) into = v;
}

void add(std::optional<double>& into, std::optional<double> v) {
  if (v) into = into.value_or(0) + *v;
}

Cell make_cell(const KernelResult& k, const ColumnKey& column) {
  Cell cell;
  for (const auto& b : k.builds) {
    if (ColumnKey{b.driver, b.compiler} != column) continue;
    if (!cell.build || b.verdict > *cell.build) {
      cell.build = b.verdict;
      cell.build_reason = b.reason;
    }
  }
  for (const auto& t : k.tests) {
    if (column_of(t) != column) continue;
    cell.tests.push_back(&t);
    if (!cell.runtime || t.verdict > *cell.runtime) cell.runtime = t.verdict;
    if (t.verdict != Verdict::Pass) {
      if (!cell.reason.empty()) cell.reason += "\n";
      cell.reason += t.name + ": " + (t.reason.empty() ? std::string(verdict_name(t.verdict)) : t.reason);
    }
    keep_min(cell.events_per_s, events_per_s(t));
    add(cell.drops, dropped(t));
    keep_max(cell.overhead_pct, overhead_pct(t));
  }
  // A kernel that never got to run tests: its own verdict stands in each cell.
  if (!cell.runtime && k.tests.empty() && k.verdict != Verdict::Pass) {
    cell.runtime = k.verdict;
    cell.reason = k.reason;
  }
  return cell;
}

}  // namespace

std::string ColumnKey::label() const { return compiler.empty() ? driver : driver + " / " + compiler; }

std::optional<Verdict> Cell::verdict() const {
  if (build && !ok_verdict(*build)) return build;
  if (runtime) return runtime;
  return build;
}

bool Cell::failing() const {
  auto v = verdict();
  return v && !ok_verdict(*v);
}

bool Row::failing() const {
  if (!ok_verdict(kernel->verdict)) return true;
  return std::any_of(cells.begin(), cells.end(), [](const Cell& c) { return c.failing(); });
}

std::optional<double> events_per_s(const TestResult& t) {
  if (auto v = metric(t, "events_per_s")) return v;
  auto events = metric(t, "events");
  auto ms = metric(t, "capture_ms");
  if (events && ms && *ms > 0) return *events * 1000.0 / *ms;
  return std::nullopt;
}

std::optional<double> dropped(const TestResult& t) {
  std::optional<double> sum;
  add(sum, metric(t, "drops"));
  add(sum, metric(t, "lost"));
  return sum;
}

std::optional<double> overhead_pct(const TestResult& t) { return metric(t, "cost.overhead_pct"); }

bool reason_from_tests(const KernelResult& k) {
  for (const auto& t : k.tests) {
    if (t.verdict == Verdict::Pass) continue;
    std::string prefix = t.name + ":";
    if (k.reason.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

const char* verdict_emoji(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "✅";
    case Verdict::Skip: return "⏭️";
    case Verdict::Fail: return "❌";
    case Verdict::Timeout: return "⏱️";
    case Verdict::Panic: return "💥";
    case Verdict::BootFail: return "🚫";
    case Verdict::InfraError: return "⚠️";
  }
  return "?";
}

GridView make_grid_view(const RunResults& original) {
  GridView view;
  auto copy = std::make_shared<RunResults>(original);
  for (auto& k : copy->kernels) k = with_derived_fields(std::move(k));
  view.run = copy;
  const RunResults& run = *copy;
  std::set<ColumnKey> columns;
  for (const auto& k : run.kernels) {
    for (const auto& t : k.tests) columns.insert(column_of(t));
    for (const auto& b : k.builds) columns.insert({b.driver, b.compiler});
    view.has_builds = view.has_builds || !k.builds.empty();
    ++view.totals[k.verdict];
  }
  view.columns.assign(columns.begin(), columns.end());
  view.kernels = run.kernels.size();

  // Group by "distro series", groups in natural order, rows by release then id.
  std::map<std::string, std::vector<const KernelResult*>> by_series;
  for (const auto& k : run.kernels) by_series[series_label(k)].push_back(&k);
  std::vector<std::string> labels;
  for (const auto& [label, _] : by_series) labels.push_back(label);
  std::sort(labels.begin(), labels.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  for (const auto& label : labels) {
    auto kernels = by_series[label];
    std::stable_sort(kernels.begin(), kernels.end(), [](const KernelResult* a, const KernelResult* b) {
      if (a->version != b->version) return natural_less(a->version, b->version);
      return a->id < b->id;
    });
    Group group{label, {}};
    for (const KernelResult* k : kernels) {
      Row row;
      row.kernel = k;
      row.series = label;
      for (const auto& column : view.columns) {
        row.cells.push_back(make_cell(*k, column));
        keep_min(row.events_per_s, row.cells.back().events_per_s);
        add(row.drops, row.cells.back().drops);
        keep_max(row.overhead_pct, row.cells.back().overhead_pct);
      }
      group.rows.push_back(std::move(row));
    }
    view.groups.push_back(std::move(group));
  }
  return view;
}

}  // namespace kgrid::results
