#include "common/plan.h"
#include "common/text.h"

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

// An argv fits a plain "probe a b c" line when no word is empty or has blanks.
bool plain_words(const std::vector<std::string>& words) {
  for (const auto& w : words)
    if (w.empty() || w.find_first_of(" \t") != std::string::npos) return false;
  return true;
}

// "probe a b c", or one "probe_arg <word>" line per word when a word needs it.
std::string format_argv(const std::string& key, const std::vector<std::string>& argv) {
  if (plain_words(argv)) return key + " " + join(argv) + "\n";
  std::string out;
  for (const auto& w : argv) out += key + "_arg " + w + "\n";
  return out;
}

bool valid_config_name(std::string_view name) {
  if (name.substr(0, 7) != "CONFIG_" || name.size() == 7) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
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
    out += format_argv("probe", t.probe);
    if (!t.ready.empty()) out += "ready " + t.ready + "\n";
    if (!t.gen.empty()) out += format_argv("gen", t.gen);
    out += "timeout_s " + std::to_string(t.timeout_s) + "\n";
    for (const auto& r : t.requires_) out += "require " + r + "\n";
    if (!t.min_kernel.empty()) out += "min_kernel " + t.min_kernel + "\n";
    out += "expect exit " + std::to_string(t.expect_exit) + "\n";
    if (t.expect_truth) out += "expect truth\n";
    for (const auto& m : t.metrics)
      out += "expect metric " + m.metric + " " + m.op + " " + format_number(m.value) + "\n";
    // Additive directives, only when not at their defaults.
    if (!t.max_kernel.empty()) out += "max_kernel " + t.max_kernel + "\n";
    if (!t.arch.empty()) out += "arch " + join(t.arch) + "\n";
    for (const auto& c : t.config) out += "require config " + c + "\n";
    if (!t.skip.empty()) out += "skip " + t.skip + "\n";
    if (t.format != "kgrid") out += "format " + t.format + "\n";
    if (t.pty) out += "pty\n";
    if (t.stop_signal != "SIGINT") out += "stop_signal " + t.stop_signal + "\n";
    if (t.stop_when != "generator") out += "stop_when " + t.stop_when + "\n";
    if (t.stop_after_s != 0) out += "stop_after_s " + std::to_string(t.stop_after_s) + "\n";
    for (const auto& o : t.outputs)
      out += "expect " + std::string(o.present ? "" : "no_") + o.stream + " " + o.regex + "\n";
    if (!t.cost) out += "cost off\n";
    else if (t.cost_ops != kDefaultCostOps || t.cost_rounds != kDefaultCostRounds)
      out += "cost " + std::to_string(t.cost_ops) + " " + std::to_string(t.cost_rounds) + "\n";
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
    } else if (key == "probe_arg") {
      current->probe.emplace_back(rest);
    } else if (key == "ready") {
      current->ready = std::string(rest);
    } else if (key == "gen") {
      current->gen = split_words(rest);
    } else if (key == "gen_arg") {
      current->gen.emplace_back(rest);
    } else if (key == "timeout_s") {
      auto v = to_int(rest);
      if (!v || *v <= 0) return fail("timeout_s needs a positive integer");
      current->timeout_s = *v;
    } else if (key == "require") {
      if (rest.substr(0, 7) == "config ") {
        if (!valid_config_requirement(rest.substr(7))) return fail("bad config requirement");
        current->config.emplace_back(rest.substr(7));
      } else if (rest == "btf" || rest == "ringbuf" || rest == "tracefs") {
        current->requires_.emplace_back(rest);
      } else {
        return fail("unknown requirement");
      }
    } else if (key == "min_kernel") {
      current->min_kernel = std::string(rest);
    } else if (key == "max_kernel") {
      if (version_parts(rest) == 0) return fail("max_kernel needs a version like 6.12");
      current->max_kernel = std::string(rest);
    } else if (key == "arch") {
      current->arch = split_words(rest);
    } else if (key == "skip") {
      if (rest.empty()) return fail("skip needs a reason");
      current->skip = std::string(rest);
    } else if (key == "format") {
      if (!known_format(rest)) return fail("unknown consumer format");
      current->format = std::string(rest);
    } else if (key == "pty") {
      current->pty = true;
    } else if (key == "stop_signal") {
      if (!known_stop_signal(rest)) return fail("unknown stop signal");
      current->stop_signal = std::string(rest);
    } else if (key == "stop_when") {
      if (rest != "generator" && rest != "exit") return fail("stop_when is generator or exit");
      current->stop_when = std::string(rest);
    } else if (key == "stop_after_s") {
      auto v = to_int(rest);
      if (!v || *v < 0) return fail("stop_after_s needs a whole number of seconds");
      current->stop_after_s = *v;
    } else if (key == "cost") {
      auto words = split_words(rest);
      if (words.size() == 1 && words[0] == "off") {
        current->cost = false;
        continue;
      }
      auto ops = words.size() == 2 ? to_int(words[0]) : std::nullopt;
      auto rounds = words.size() == 2 ? to_int(words[1]) : std::nullopt;
      if (!ops || !rounds || *ops < 1 || *ops > kMaxCostOps || *rounds < 1 || *rounds > kMaxCostRounds)
        return fail("cost is 'off' or '<ops 1-" + std::to_string(kMaxCostOps) + "> <rounds 1-" +
                    std::to_string(kMaxCostRounds) + ">'");
      current->cost = true;
      current->cost_ops = *ops;
      current->cost_rounds = *rounds;
    } else if (key == "expect") {
      size_t sp2 = rest.find(' ');
      std::string_view what = rest.substr(0, sp2);
      if (what == "stdout" || what == "stderr" || what == "no_stdout" || what == "no_stderr") {
        if (sp2 == std::string_view::npos || sp2 + 1 == rest.size()) return fail("expect " + std::string(what) + " needs a regular expression");
        bool present = what.substr(0, 3) != "no_";
        current->outputs.push_back({std::string(present ? what : what.substr(3)), present,
                                    std::string(rest.substr(sp2 + 1))});
        continue;
      }
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

int compare_versions(std::string_view a, std::string_view b, int parts) {
  auto next = [](std::string_view& s) -> long {
    long v = 0;
    size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    s.remove_prefix(i);
    if (!s.empty() && s[0] == '.') s.remove_prefix(1);
    else s = {};  // stop at the first non-numeric part ("-50-amd64")
    return v;
  };
  for (int i = 0; i < parts; ++i) {
    long x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

int version_parts(std::string_view v) {
  int parts = 0;
  while (!v.empty()) {
    size_t i = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == 0) return 0;
    ++parts;
    v.remove_prefix(i);
    if (v.empty()) break;
    if (v[0] != '.' || v.size() == 1) return 0;
    v.remove_prefix(1);
  }
  return parts;
}

bool known_format(std::string_view name) {
  return name == "kgrid" || name == "scap-open" || name == "none";
}

bool known_stop_signal(std::string_view name) {
  for (const char* s : {"SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGKILL"})
    if (name == s) return true;
  return false;
}

bool valid_op(std::string_view op) {
  return op == "==" || op == "!=" || op == ">=" || op == "<=" || op == ">" || op == "<";
}

bool valid_config_requirement(std::string_view requirement) {
  size_t eq = requirement.find('=');
  if (!valid_config_name(requirement.substr(0, eq))) return false;
  return eq == std::string_view::npos || eq + 1 < requirement.size();
}

std::optional<std::string> unmet_config(std::string_view requirement, const ConfigLookup& value) {
  size_t eq = requirement.find('=');
  std::string name(requirement.substr(0, eq));
  std::optional<std::string> have = value(name);
  if (have && (*have == "n" || have->empty())) have.reset();
  std::string shown = have ? name + "=" + *have : name + " is not set";
  if (eq == std::string_view::npos) {
    if (have && (*have == "y" || *have == "m")) return std::nullopt;
    return shown + " (needs y or m)";
  }
  std::string want(requirement.substr(eq + 1));
  if (want == "n") {
    if (!have) return std::nullopt;
    return shown + " (needs it not set)";
  }
  if (have && *have == want) return std::nullopt;
  return shown + " (needs " + want + ")";
}

}  // namespace kgrid::plan
