#include "testrunner/cost.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "testrunner/text.h"

namespace kgrid::testrunner {
namespace {

template <class T>
bool to_number(const std::string& s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

double round_to(double v, double step) { return std::round(v / step) * step; }

// (max - min) / median, in %.
double spread_pct(const std::vector<double>& v) {
  double m = median(v);
  if (v.empty() || m <= 0) return 0;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return (*hi - *lo) * 100.0 / m;
}

}  // namespace

Result<std::vector<BenchRound>> parse_bench(std::string_view out) {
  constexpr std::string_view kPrefix = "kgrid-gen: bench ";
  std::vector<BenchRound> rounds;
  bool done = false;
  for (std::string_view line : split_lines(out)) {
    if (line == "kgrid-gen: done") done = true;
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    std::vector<std::pair<std::string, std::string>> fields;
    BenchRound r;
    long long ns = -1, running = -1, ref = -1;
    bool have_ops = false, bad = false;
    if (!parse_fields(line.substr(kPrefix.size()), fields))
      return make_error("malformed bench line '" + clip(line, 120) + "'");
    for (const auto& [key, value] : fields) {
      if (key == "ops") have_ops = to_number(value, r.ops);
      if (key == "ns" && !to_number(value, ns)) ns = -1;
      if (key == "running_ns") bad |= !to_number(value, running) || running < 0;
      if (key == "ref_ns") bad |= !to_number(value, ref) || ref < 0;
      if (key == "chunks") bad |= !to_number(value, r.chunks);
      if (key == "preempted") bad |= !to_number(value, r.preempted);
    }
    if (!have_ops || r.ops == 0 || ns < 0)
      return make_error("bench line without ops= and ns=: '" + clip(line, 120) + "'");
    if (bad) return make_error("malformed bench line '" + clip(line, 120) + "'");
    r.ns = static_cast<double>(ns);
    r.running_ns = static_cast<double>(running >= 0 ? running : ns);
    r.ref_ns = ref > 0 ? static_cast<double>(ref) : 0;
    rounds.push_back(r);
  }
  if (rounds.empty()) return make_error("no 'kgrid-gen: bench' line in the benchmark's output");
  if (!done) return make_error("the benchmark's output has no 'kgrid-gen: done'");
  return rounds;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

bool cost_applies(const plan::Test& test) {
  return test.cost && test.cost_ops > 0 && test.cost_rounds > 0 && !test.ready.empty() &&
         test.stop_when == "generator";
}

int base_rounds_before(int rounds) { return (rounds + 1) / 2; }

std::map<std::string, double> cost_metrics(const CostRuns& runs) {
  std::map<std::string, double> m;
  if (!runs.tried) return m;
  m["cost.ms"] = static_cast<double>(runs.ms);
  if (runs.base_ns.empty() || runs.probe_ns.empty()) return m;
  double base = median(runs.base_ns), probe = median(runs.probe_ns);
  m["cost.base_ns_per_op"] = round_to(base, 0.1);
  m["cost.probe_ns_per_op"] = round_to(probe, 0.1);
  bool relative = runs.base_rel.size() == runs.base_ns.size() && runs.probe_rel.size() == runs.probe_ns.size();
  const std::vector<double>& b = relative ? runs.base_rel : runs.base_ns;
  const std::vector<double>& p = relative ? runs.probe_rel : runs.probe_ns;
  if (median(b) > 0) m["cost.overhead_pct"] = round_to((median(p) / median(b) - 1) * 100, 0.1);
  m["cost.spread_pct"] = round_to(std::max(spread_pct(b), spread_pct(p)), 0.1);
  if (!runs.base_wall_ns.empty() && !runs.probe_wall_ns.empty()) {
    double base_wall = median(runs.base_wall_ns), wall = median(runs.probe_wall_ns);
    m["cost.wall_ns_per_op"] = round_to(wall, 0.1);
    if (base_wall > 0) m["cost.wall_overhead_pct"] = round_to((wall / base_wall - 1) * 100, 0.1);
  }
  if (runs.chunks > 0)
    m["cost.preempted_pct"] =
        round_to(static_cast<double>(runs.preempted) * 100.0 / static_cast<double>(runs.chunks), 0.1);
  return m;
}

std::string describe_cost(const CostRuns& runs) {
  if (runs.base_ns.empty() || runs.probe_ns.empty()) return "";
  auto set = [](const std::vector<double>& v) {
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.0f ns/op (%.0f-%.0f)", median(v), *lo, *hi);
    return std::string(buf);
  };
  auto m = cost_metrics(runs);
  char pct[96];
  std::snprintf(pct, sizeof pct, "%+.1f%%", m.count("cost.overhead_pct") ? m["cost.overhead_pct"] : 0.0);
  std::string out = "base " + set(runs.base_ns) + ", attached " + set(runs.probe_ns) + ": " + pct;
  if (m.count("cost.wall_overhead_pct")) {
    std::snprintf(pct, sizeof pct, "; wall %+.1f%% (%.0f ns/op)", m["cost.wall_overhead_pct"],
                  m["cost.wall_ns_per_op"]);
    out += pct;
  }
  return out;
}

}  // namespace kgrid::testrunner
