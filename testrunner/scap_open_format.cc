#include "testrunner/scap_open_format.h"

#include <charconv>

#include "testrunner/text.h"
#include "common/text.h"

namespace kgrid::testrunner {
namespace {

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool equal_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// "<label>: <number>" -> label and the number's text, or false.
bool split_label(std::string_view line, std::string_view& label, std::string_view& number) {
  size_t colon = line.rfind(": ");
  if (colon == std::string_view::npos) return false;
  label = trim(line.substr(0, colon));
  number = trim(line.substr(colon + 2));
  return !label.empty();
}

// Which metric a label names, "" for none. `versioned` is the "[1] name" form.
std::string_view metric_for(std::string_view label) {
  if (label == "Number of `SCAP_SUCCESS` (events correctly captured)" ||
      label == "Events correctly captured (SCAP_SUCCESS)" || equal_nocase(label, "events captured"))
    return "events";
  if (label == "Seen by driver (kernel side events)" || equal_nocase(label, "seen by driver"))
    return "kernel_events";
  if (label == "Number of dropped events") return "drops";
  constexpr std::string_view kBuffer = "Number of dropped events caused by full buffer";
  if (starts(label, kBuffer)) {
    std::string_view rest = label.substr(kBuffer.size());
    if (rest.empty() || starts(rest, " (total")) return "drops_buffer";
  }
  return "";
}

// Stats v2 lines: "[<flags>] <name>: <n>".
std::string_view metric_for_v2(std::string_view name) {
  if (name == "n_drops") return "drops";
  if (name == "n_drops_buffer_total") return "drops_buffer";
  if (name == "n_evts") return "n_evts";  // a fallback for kernel_events
  return "";
}

class ScapOpenFormat : public ConsumerFormat {
 public:
  std::string_view name() const override { return "scap-open"; }
  std::string_view done_marker() const override {
    return "Number of `SCAP_SUCCESS` (events correctly captured): N";
  }

  ProbeReport parse(std::string_view out, std::string_view) const override {
    ProbeReport report;
    double n_evts = -1;
    for (std::string_view raw : split_lines(out)) {
      std::string_view line = trim(raw);
      std::string_view label, number;
      if (!split_label(line, label, number)) continue;
      std::string_view metric;
      bool v2 = false;
      if (label.size() > 2 && label[0] == '[') {
        size_t close = label.find("] ");
        if (close == std::string_view::npos) continue;
        metric = metric_for_v2(label.substr(close + 2));
        v2 = true;
      } else {
        metric = metric_for(label);
      }
      if (metric.empty()) continue;
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
      if (ec != std::errc() || p != number.data() + number.size() || number.empty()) {
        report.problems.push_back("malformed line '" + clip(line, 120) + "'");
        continue;
      }
      if (v2 && metric == "n_evts") {
        n_evts = static_cast<double>(v);
        continue;
      }
      report.stats[std::string(metric)] = static_cast<double>(v);
      if (metric == "events") report.done = true;
    }
    if (n_evts >= 0 && !report.stats.count("kernel_events")) report.stats["kernel_events"] = n_evts;
    return report;
  }

  std::optional<std::string> unsupported(const ProgramRun& probe) const override {
    if (!probe.exited || probe.status.signal != 0 || probe.status.code != kScapNotSupported)
      return std::nullopt;
    auto lines = last_nonempty_lines(probe.err, 1);
    if (lines.empty()) lines = last_nonempty_lines(probe.out, 1);
    std::string why = lines.empty() ? "no message" : clip(trim(lines[0]), 300);
    return "not supported here (scap-open exit 95): " + why;
  }
};

}  // namespace

std::unique_ptr<ConsumerFormat> make_scap_open_format() { return std::make_unique<ScapOpenFormat>(); }

}  // namespace kgrid::testrunner
