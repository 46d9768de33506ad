#include "common/plan.h"

#include <charconv>
#include <optional>
#include <cstdlib>
#include <cstdio>

namespace kgrid::plan {
namespace {

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

bool valid_op(std::string_view op) {
  return op == "==" || op == "!=" || op == ">=" || op == "<=" || op == ">" || op == "<";
}

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> to_double(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

// Formats a double without trailing zeros ("1", "0.5"); no iostreams, so
// the static guest binaries stay small.
std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

std::string format_plan(const Plan& plan) {
  std::string out = "kgrid-plan 1\n";
  for (const Test& t : plan.tests) {
    out += "test " + t.name + "\n";
    out += "driver " + t.driver + "\n";
    out += "probe " + join(t.probe) + "\n";
    if (!t.ready.empty()) out += "ready " + t.ready + "\n";
    if (!t.gen.empty()) out += "gen " + join(t.gen) + "\n";
    out += "timeout_s " + std::to_string(t.timeout_s) + "\n";
    for (const auto& r : t.requires_) out += "require " + r + "\n";
    if (!t.min_kernel.empty()) out += "min_kernel " + t.min_kernel + "\n";
    out += "expect exit " + std::to_string(t.expect_exit) + "\n";
    if (t.expect_truth) out += "expect truth\n";
    for (const auto& m : t.metrics)
      out += "expect metric " + m.metric + " " + m.op + " " + format_number(m.value) + "\n";
    out += "end\n";
  }
  return out;
}

Result<Plan> parse_plan(std::string_view text) {
  Plan plan;
  Test* current = nullptr;
  int line_no = 0;
  bool header = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);

    auto fail = [&](const std::string& why) {
      return make_error("plan line " + std::to_string(line_no) + ": " + why + ": '" +
                        std::string(line) + "'");
    };
    size_t sp = line.find(' ');
    std::string_view key = line.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);

    if (!header) {
      if (key != "kgrid-plan") return fail("expected 'kgrid-plan 1' header");
      if (rest != "1") return fail("unsupported plan version");
      header = true;
      continue;
    }
    if (key == "test") {
      if (current) return fail("'test' inside a test (missing 'end')");
      if (rest.empty()) return fail("test needs a name");
      plan.tests.emplace_back();
      current = &plan.tests.back();
      current->name = std::string(rest);
      continue;
    }
    if (!current) return fail("directive outside a test");
    if (key == "end") {
      if (current->probe.empty()) return fail("test '" + current->name + "' has no probe");
      current = nullptr;
    } else if (key == "driver") {
      current->driver = std::string(rest);
    } else if (key == "probe") {
      current->probe = split_words(rest);
    } else if (key == "ready") {
      current->ready = std::string(rest);
    } else if (key == "gen") {
      current->gen = split_words(rest);
    } else if (key == "timeout_s") {
      auto v = to_int(rest);
      if (!v || *v <= 0) return fail("timeout_s needs a positive integer");
      current->timeout_s = *v;
    } else if (key == "require") {
      if (rest != "btf" && rest != "ringbuf" && rest != "tracefs")
        return fail("unknown requirement");
      current->requires_.emplace_back(rest);
    } else if (key == "min_kernel") {
      current->min_kernel = std::string(rest);
    } else if (key == "expect") {
      auto words = split_words(rest);
      if (words.size() == 2 && words[0] == "exit") {
        auto v = to_int(words[1]);
        if (!v) return fail("expect exit needs an integer");
        current->expect_exit = *v;
      } else if (words.size() == 1 && words[0] == "truth") {
        current->expect_truth = true;
      } else if (words.size() == 4 && words[0] == "metric") {
        auto v = to_double(words[3]);
        if (!valid_op(words[2]) || !v) return fail("bad metric expectation");
        current->metrics.push_back({words[1], words[2], *v});
      } else {
        return fail("unknown expectation");
      }
    } else {
      return fail("unknown directive");
    }
  }
  if (!header) return make_error("plan is empty");
  if (current) return make_error("plan ends inside test '" + current->name + "' (missing 'end')");
  return plan;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) -> long {
    long v = 0;
    size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    s.remove_prefix(i);
    if (!s.empty() && s[0] == '.') s.remove_prefix(1);
    else s = {};  // stop at the first non-numeric part ("-50-amd64")
    return v;
  };
  for (int i = 0; i < 3; ++i) {
    long x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace kgrid::plan
