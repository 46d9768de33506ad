// What `kgrid history show` prints: since when things fail, and how boot time
// and events/s moved, from the runs recorded in the history database.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "results/history.h"
#include "results/text_util.h"

namespace kgrid::results {
namespace {

struct Point {
  const RecordedRun* run;
  Verdict verdict;
  std::string reason;
};

std::string run_ref(const RecordedRun& r) { return fmt::format("run #{} ({})", r.id, r.started_at); }

// "PASS in all 3 runs", "failing since run #3 (...), last PASS in run #2 (...), now FAIL: why".
std::string streak(const std::vector<Point>& points) {
  if (points.empty()) return "no runs";
  const Point& last = points.back();
  if (last.verdict == Verdict::Pass) {
    for (size_t i = points.size(); i-- > 0;)
      if (points[i].verdict != Verdict::Pass)
        return fmt::format("PASS since {}; last {} in {}", run_ref(*points[i + 1].run), verdict_name(points[i].verdict),
                           run_ref(*points[i].run));
    return fmt::format("PASS in all {} run(s)", points.size());
  }
  size_t first = points.size() - 1;
  while (first > 0 && points[first - 1].verdict != Verdict::Pass) --first;
  std::string out = fmt::format("failing since {}", run_ref(*points[first].run));
  if (first > 0) out += fmt::format(", last PASS in {}", run_ref(*points[first - 1].run));
  else out += fmt::format(", never passed in {} recorded run(s)", points.size());
  out += fmt::format("; now {}", verdict_name(last.verdict));
  if (!last.reason.empty()) out += ": " + clip(first_line(last.reason), 200);
  return out;
}

std::string movement(const char* name, const std::vector<double>& values, bool seconds) {
  if (values.empty()) return "";
  auto show = [&](double v) { return seconds ? fmt::format("{:.1f}s", v) : human_number(v); };
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  std::string out = fmt::format("{}: {} -> {}", name, show(values.front()), show(values.back()));
  if (values.front() != 0) out += fmt::format(" ({:+.0f}%)", (values.back() - values.front()) * 100 / values.front());
  out += fmt::format(" over {} run(s) (min {}, max {})", values.size(), show(*lo), show(*hi));
  return out;
}

std::string item_key(const RecordedTest& t) {
  std::string key = t.kind == "build" ? "build " + t.driver : t.name;
  if (t.kind != "build" && !t.driver.empty() && t.driver != t.name) key += " (" + t.driver + ")";
  if (!t.compiler.empty()) key += " [" + t.compiler + "]";
  return key;
}

std::vector<double> boot_times(const std::vector<RecordedKernel>& history) {
  std::vector<double> out;
  for (const auto& k : history)
    if (k.boot_s > 0) out.push_back(k.boot_s);
  return out;
}

}  // namespace

std::string format_kernel_history(const std::string& id, const std::vector<RecordedKernel>& history) {
  if (history.empty()) return fmt::format("kernel {}: not in the history database\n", id);
  std::vector<std::string> keys;  // items in first-seen order
  for (const auto& k : history)
    for (const auto& t : k.tests)
      if (std::find(keys.begin(), keys.end(), item_key(t)) == keys.end()) keys.push_back(item_key(t));

  std::string out = fmt::format("history of {}: {} run(s)\n\n", id, history.size());
  out += fmt::format("  {:<5} {:<21} {:<11} {:>7}  {}\n", "run", "started", "verdict", "boot", "tests");
  std::vector<Point> kernel_points;
  std::map<std::string, std::vector<Point>> item_points;
  std::map<std::string, std::vector<double>> eps, drops;
  for (const auto& k : history) {
    kernel_points.push_back({&k.run, k.verdict, k.reason});
    std::string tests;
    for (const auto& t : k.tests) {
      std::string key = item_key(t);
      item_points[key].push_back({&k.run, t.verdict, t.reason});
      tests += fmt::format("{}{} {}", tests.empty() ? "" : "; ", key, verdict_name(t.verdict));
      if (t.verdict == Verdict::Pass) {
        if (t.events_per_s) {
          tests += " " + human_number(*t.events_per_s) + " ev/s";
          eps[key].push_back(*t.events_per_s);
        }
        if (t.drops) {
          tests += " " + human_number(*t.drops) + " drops";
          drops[key].push_back(*t.drops);
        }
      }
    }
    out += fmt::format("  #{:<4} {:<21} {:<11} {:>7}  {}\n", k.run.id, k.run.started_at, verdict_name(k.verdict),
                       k.boot_s > 0 ? fmt::format("{:.1f}s", k.boot_s) : "-", tests.empty() ? "(no tests ran)" : tests);
  }
  out += "\nkernel: " + streak(kernel_points) + "\n";
  for (const auto& key : keys) out += key + ": " + streak(item_points[key]) + "\n";
  if (auto m = movement("boot time", boot_times(history), true); !m.empty()) out += m + "\n";
  for (const auto& key : keys) {
    if (auto m = movement((key + " events/s").c_str(), eps[key], false); !m.empty()) out += m + "\n";
    bool any_drops = std::any_of(drops[key].begin(), drops[key].end(), [](double d) { return d != 0; });
    if (any_drops) out += movement((key + " drops").c_str(), drops[key], false) + "\n";
  }
  return out;
}

std::string format_history_overview(const std::vector<RecordedRun>& runs,
                                    const std::vector<std::vector<RecordedKernel>>& kernels) {
  std::string out = fmt::format("{} recorded run(s)\n", runs.size());
  for (const auto& r : runs)
    out += fmt::format("  #{:<4} {:<21} {:<4} {:>3}/{:<3} passed  wall {:>6.1f}s  {}\n", r.id, r.started_at, r.accel,
                       r.passed, r.kernels, r.wall_s, r.out_dir);
  if (kernels.empty()) return out;
  size_t width = 10;
  for (const auto& h : kernels)
    if (!h.empty()) width = std::max(width, h.front().kernel_id.size());
  out += fmt::format("\n{} kernel(s):\n", kernels.size());
  for (const auto& h : kernels) {
    if (h.empty()) continue;
    std::vector<Point> points;
    for (const auto& k : h) points.push_back({&k.run, k.verdict, k.reason});
    out += fmt::format("  {:<{}}  {}\n", h.front().kernel_id, width, streak(points));
    if (auto m = movement("boot time", boot_times(h), true); !m.empty()) out += fmt::format("  {:<{}}  {}\n", "", width, m);
  }
  return out;
}

}  // namespace kgrid::results
