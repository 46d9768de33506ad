#include "results/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "results/grid_view.h"

namespace kgrid::results {
namespace {

struct Item {
  Verdict verdict;
  std::string reason;
  const TestResult* test = nullptr;  // null for builds
};

// Every test and build of a kernel, keyed by a readable name.
std::map<std::string, Item> items_of(const KernelResult& k) {
  std::map<std::string, Item> items;
  for (const auto& b : k.builds) {
    std::string key = "build " + b.driver + (b.compiler.empty() ? "" : " [" + b.compiler + "]");
    items[key] = {b.verdict, b.reason, nullptr};
  }
  for (const auto& t : k.tests) {
    std::string key = t.name;
    if (!t.driver.empty() && t.driver != t.name) key += " (" + t.driver + ")";
    if (!t.compiler.empty()) key += " [" + t.compiler + "]";
    items[key] = {t.verdict, t.reason, &t};
  }
  return items;
}

void classify(Comparison& c, VerdictChange change) {
  if (change.base == change.now) {
    ++c.unchanged;
  } else if (change.base == Verdict::Pass) {
    c.regressions.push_back(std::move(change));
  } else if (change.now == Verdict::Pass) {
    change.reason.clear();
    c.fixes.push_back(std::move(change));
  } else {
    c.changes.push_back(std::move(change));
  }
}

std::optional<double> pct(double base, double now) {
  if (base == 0) return std::nullopt;
  return (now - base) * 100.0 / base;
}

std::optional<double> metric(const TestResult& t, const char* name) {
  auto it = t.metrics.find(name);
  if (it == t.metrics.end()) return std::nullopt;
  return it->second;
}

// Overhead in % points: growing by more than max(points, rel % of the base) is slower.
bool overhead_grew(double base, double now, const CompareOptions& o) {
  return now - base > std::max(o.overhead_points, std::fabs(base) * o.overhead_rel_pct / 100);
}

// The driver got slower: its cost, its throughput, its load time.
void compare_speed(Comparison& c, const std::string& kernel, const std::string& item, const TestResult& base,
                   const TestResult& now, const CompareOptions& o) {
  if (auto b = overhead_pct(base), n = overhead_pct(now); b && n && overhead_grew(*b, *n, o))
    c.slower.push_back({kernel, item, "cost.overhead_pct", *b, *n, pct(*b, *n)});
  if (auto b = events_per_s(base), n = events_per_s(now); b && n && *b > 0) {
    if (*n < *b * (1 - o.events_drop_pct / 100)) c.slower.push_back({kernel, item, "events_per_s", *b, *n, pct(*b, *n)});
  }
  if (auto b = metric(base, "load_ms"), n = metric(now, "load_ms"); b && n && *b > 0) {
    if (*n > *b * (1 + o.load_increase_pct / 100) && *n - *b >= o.load_min_increase_s * 1000)
      c.slower.push_back({kernel, item, "load_ms", *b, *n, pct(*b, *n)});
  }
}

void compare_metrics(Comparison& c, const std::string& kernel, const std::string& item, const TestResult& base,
                     const TestResult& now, const CompareOptions& o) {
  compare_speed(c, kernel, item, base, now, o);
  double b = dropped(base).value_or(0), n = dropped(now).value_or(0);
  if ((dropped(base) || dropped(now)) && n > b + o.drops_increase)
    c.metric_regressions.push_back({kernel, item, "drops", b, n, pct(b, n)});
}

}  // namespace

Comparison compare_runs(const RunResults& base, const RunResults& now, const CompareOptions& o) {
  Comparison c;
  std::map<std::string, const KernelResult*> before;
  for (const auto& k : base.kernels) before[k.id] = &k;
  std::map<std::string, bool> seen;
  for (const auto& k : now.kernels) {
    seen[k.id] = true;
    auto it = before.find(k.id);
    if (it == before.end()) {
      c.new_kernels.push_back(k.id);
      continue;
    }
    const KernelResult& b = *it->second;
    ++c.common_kernels;
    classify(c, {k.id, "", b.verdict, k.verdict, k.reason});

    auto old_items = items_of(b), new_items = items_of(k);
    for (const auto& [name, item] : new_items) {
      auto old = old_items.find(name);
      if (old == old_items.end()) {
        c.new_tests.push_back(k.id + ": " + name);
        continue;
      }
      classify(c, {k.id, name, old->second.verdict, item.verdict, item.reason});
      if (item.test && old->second.test && item.verdict == Verdict::Pass && old->second.verdict == Verdict::Pass)
        compare_metrics(c, k.id, name, *old->second.test, *item.test, o);
    }
    for (const auto& [name, item] : old_items)
      if (!new_items.count(name)) c.vanished_tests.push_back(k.id + ": " + name);

    // Boot time, when both booted.
    if (b.boot_s > 0 && k.boot_s > 0 && k.boot_s > b.boot_s * (1 + o.boot_increase_pct / 100) &&
        k.boot_s - b.boot_s >= o.boot_min_increase_s)
      c.metric_regressions.push_back({k.id, "", "boot_s", b.boot_s, k.boot_s, pct(b.boot_s, k.boot_s)});
  }
  for (const auto& k : base.kernels)
    if (!seen.count(k.id)) c.vanished_kernels.push_back(k.id);
  return c;
}

}  // namespace kgrid::results
