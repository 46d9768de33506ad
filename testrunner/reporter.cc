#include "testrunner/reporter.h"

#include "guest/guest_io.h"
#include "testrunner/text.h"

namespace kgrid::testrunner {
namespace {

constexpr size_t kLogLineMax = 240;
constexpr size_t kReasonMax = 1500;

void add_tail(std::vector<LogLine>& out, const std::string& stream, std::string_view text,
              size_t n, bool skip_counts) {
  std::vector<std::string_view> keep;
  auto lines = split_lines(text);
  for (auto it = lines.rbegin(); it != lines.rend() && keep.size() < n; ++it) {
    if (it->find_first_not_of(" \t") == std::string_view::npos) continue;
    if (skip_counts && it->rfind("kgrid-probe: count ", 0) == 0) continue;
    keep.insert(keep.begin(), *it);
  }
  for (std::string_view l : keep) out.push_back({stream, clip(l, kLogLineMax)});
}

}  // namespace

void Reporter::send(const std::string& type, const Fields& fields) {
  guest::send_record(fd_, nonce_, seq_++, type, fields);
}

void Reporter::say(std::string_view line) {
  guest::say(fd_, "kgrid-testrunner: " + std::string(line));
}

Fields test_fields(const plan::Test& test, const Judgement& j, const Outcome& o) {
  Fields f{{"name", test.name},
           {"driver", test.driver},
           {"verdict", j.verdict},
           {"reason", clip(j.reason, kReasonMax)},
           {"duration_ms", std::to_string(o.duration_ms)},
           {"load_ms", o.load_ms >= 0 ? std::to_string(o.load_ms) : ""}};
  for (const auto& [name, value] : j.metrics) f["m." + name] = format_number(value);
  std::string warning;
  for (const auto& w : j.warnings) warning += (warning.empty() ? "" : " || ") + w;
  if (!warning.empty()) f["warning"] = clip(warning, kReasonMax);
  return f;
}

std::vector<LogLine> log_tail(const Outcome& o, size_t max) {
  std::vector<LogLine> out;
  if (!o.probe.spawn_error.empty()) out.push_back({"runner", o.probe.spawn_error});
  if (!o.gen.spawn_error.empty()) out.push_back({"runner", o.gen.spawn_error});
  size_t budget = max > out.size() ? max - out.size() : 0;
  size_t gen_lines = o.gen.started ? std::min<size_t>(2, budget / 4) : 0;
  size_t probe_out_lines = std::min<size_t>(3, (budget - gen_lines) / 3);
  size_t probe_err_lines = budget - gen_lines - probe_out_lines;
  size_t before = out.size();
  add_tail(out, "probe", o.probe.err, probe_err_lines, false);
  // Give unused stderr lines to stdout.
  probe_out_lines += probe_err_lines - (out.size() - before);
  add_tail(out, "probe", o.probe.out, probe_out_lines, true);
  add_tail(out, "gen", o.gen.err.empty() ? o.gen.out : o.gen.err, gen_lines, false);
  return out;
}

}  // namespace kgrid::testrunner
