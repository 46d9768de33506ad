#include "sweep/spec.h"

#include <regex.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <toml++/toml.h>

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

constexpr const char* kScapOpenReady = "* Live capture in progress...";
constexpr int kMaxTimeoutS = 3600;

// Where an error is: "<file>:<line>: <key>: ".
class Context {
 public:
  explicit Context(std::string name) : name_(std::move(name)) {}

  Error error(const toml::node* node, const std::string& key, const std::string& message) const {
    std::string where = name_;
    if (node && node->source().begin.line > 0) where += ":" + std::to_string(node->source().begin.line);
    return make_error(where + ": " + key + ": " + message);
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

bool has_newline(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

Status check_keys(const Context& ctx, const toml::table& table, const std::string& prefix,
                  const std::set<std::string>& known) {
  for (auto&& [key, value] : table) {
    std::string k(key.str());
    if (known.count(k)) continue;
    std::string list;
    for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
    return ctx.error(&value, prefix + k, "unknown key (expected one of: " + list + ")");
  }
  return ok_status();
}

Result<std::string> get_string(const Context& ctx, const toml::node& node, const std::string& key) {
  auto s = node.value<std::string>();
  if (!s) return ctx.error(&node, key, "expected a string");
  if (has_newline(*s)) return ctx.error(&node, key, "may not contain a line break");
  return *s;
}

// A string or an array of strings.
Result<std::vector<std::string>> get_strings(const Context& ctx, const toml::node& node, const std::string& key) {
  if (node.is_string()) {
    auto s = get_string(ctx, node, key);
    if (!s) return s.error();
    return std::vector<std::string>{*s};
  }
  const toml::array* array = node.as_array();
  if (!array) return ctx.error(&node, key, "expected a string or an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < array->size(); ++i) {
    auto s = get_string(ctx, *array->get(i), key + "[" + std::to_string(i) + "]");
    if (!s) return s.error();
    out.push_back(std::move(*s));
  }
  return out;
}

// An argv: an array of strings, or one string split on blanks.
Result<std::vector<std::string>> get_argv(const Context& ctx, const toml::node& node, const std::string& key) {
  std::vector<std::string> argv;
  if (node.is_string()) {
    auto s = get_string(ctx, node, key);
    if (!s) return s.error();
    std::istringstream words(*s);
    for (std::string w; words >> w;) argv.push_back(w);
  } else {
    auto list = get_strings(ctx, node, key);
    if (!list) return list.error();
    argv = std::move(*list);
  }
  if (argv.empty() || argv[0].empty()) return ctx.error(&node, key, "needs a program to run");
  return argv;
}

Result<int64_t> get_int(const Context& ctx, const toml::node& node, const std::string& key, int64_t min,
                        int64_t max) {
  auto v = node.value_exact<int64_t>();
  if (!v) return ctx.error(&node, key, "expected a whole number");
  if (*v < min || *v > max)
    return ctx.error(&node, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return *v;
}

Result<bool> get_bool(const Context& ctx, const toml::node& node, const std::string& key) {
  auto v = node.value_exact<bool>();
  if (!v) return ctx.error(&node, key, "expected true or false");
  return *v;
}

std::optional<std::string> regex_error(const std::string& pattern) {
  regex_t re;
  int rc = ::regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    ::regfree(&re);
    return std::nullopt;
  }
  char buf[256];
  ::regerror(rc, &re, buf, sizeof buf);
  return std::string(buf);
}

// Guest paths a spec may not write: kgrid's own files, and directories that
// a mount hides at boot.
std::optional<std::string> reserved_guest_path(const std::string& p) {
  if (p == "/init" || p == "/kgrid/plan" || p.rfind("/kgrid/bin/kgrid-", 0) == 0)
    return "is one of kgrid's own files";
  for (const char* dir : {"/dev", "/proc", "/sys", "/tmp"}) {
    std::string d(dir);
    if (p == d || p.rfind(d + "/", 0) == 0) return "is hidden by the " + d + " mount at boot";
  }
  return std::nullopt;
}

Result<SpecFile> parse_file_entry(const Context& ctx, const toml::node& node, const std::string& key,
                                  const std::string& text, const fs::path& base_dir) {
  size_t colon = text.rfind(":/");
  if (colon == std::string::npos || colon == 0)
    return ctx.error(&node, key, "expected \"host/path:/guest/path\", got '" + text + "'");
  fs::path host(text.substr(0, colon));
  std::string guest = fs::path(text.substr(colon + 1)).lexically_normal().string();
  if (host.is_relative()) host = base_dir / host;
  host = host.lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(host, ec))
    return ctx.error(&node, key, host.string() + ": no such file (relative paths start at the spec's directory)");
  if (guest.size() < 2 || guest.back() == '/') return ctx.error(&node, key, "the guest path must name a file");
  if (auto why = reserved_guest_path(guest)) return ctx.error(&node, key, guest + " " + *why);
  return SpecFile{fs::absolute(host), guest};
}

bool known_metric(const std::string& format, const std::string& metric) {
  static const std::set<std::string> timing = {"duration_ms", "load_ms", "gen_ms", "capture_ms", "events_per_s",
                                               "cost.base_ns_per_op", "cost.probe_ns_per_op", "cost.overhead_pct",
                                               "cost.wall_ns_per_op", "cost.wall_overhead_pct", "cost.spread_pct",
                                               "cost.preempted_pct", "cost.ms"};
  if (timing.count(metric) || format == "kgrid") return true;  // kgrid-format consumers may report any stat
  if (format == "scap-open")
    return metric == "events" || metric == "kernel_events" || metric == "drops" || metric == "drops_buffer";
  return false;
}

Status read_stop(const Context& ctx, const toml::table& stop, plan::Test& t) {
  if (auto st = check_keys(ctx, stop, "stop.", {"when", "signal", "after"}); !st) return st;
  if (const toml::node* n = stop.get("when")) {
    auto s = get_string(ctx, *n, "stop.when");
    if (!s) return s.error();
    if (*s != "generator" && *s != "exit") return ctx.error(n, "stop.when", "expected \"generator\" or \"exit\"");
    t.stop_when = *s;
  }
  if (const toml::node* n = stop.get("signal")) {
    auto s = get_string(ctx, *n, "stop.signal");
    if (!s) return s.error();
    if (!plan::known_stop_signal(*s))
      return ctx.error(n, "stop.signal", "expected SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 or SIGKILL");
    t.stop_signal = *s;
  }
  if (const toml::node* n = stop.get("after")) {
    auto v = get_int(ctx, *n, "stop.after", 0, kMaxTimeoutS);
    if (!v) return v.error();
    t.stop_after_s = static_cast<int>(*v);
  }
  return ok_status();
}

Status read_expect(const Context& ctx, const toml::table& expect, plan::Test& t) {
  if (auto st = check_keys(ctx, expect, "expect.",
                           {"exit", "truth", "metrics", "stdout", "stderr", "stdout_not", "stderr_not"});
      !st)
    return st;
  if (const toml::node* n = expect.get("exit")) {
    auto v = get_int(ctx, *n, "expect.exit", 0, 255);
    if (!v) return v.error();
    t.expect_exit = static_cast<int>(*v);
  }
  if (const toml::node* n = expect.get("truth")) {
    auto v = get_bool(ctx, *n, "expect.truth");
    if (!v) return v.error();
    t.expect_truth = *v;
  }
  if (const toml::node* n = expect.get("metrics")) {
    auto list = get_strings(ctx, *n, "expect.metrics");
    if (!list) return list.error();
    for (size_t i = 0; i < list->size(); ++i) {
      auto m = parse_metric_expectation((*list)[i]);
      if (!m) return ctx.error(n, "expect.metrics[" + std::to_string(i) + "]", m.error().message);
      t.metrics.push_back(*m);
    }
  }
  for (const char* key : {"stdout", "stderr", "stdout_not", "stderr_not"}) {
    const toml::node* n = expect.get(key);
    if (!n) continue;
    std::string k = std::string("expect.") + key;
    auto list = get_strings(ctx, *n, k);
    if (!list) return list.error();
    std::string stream(key);
    bool present = stream.size() == 6;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string& re = (*list)[i];
      std::string ki = k + "[" + std::to_string(i) + "]";
      if (re.empty()) return ctx.error(n, ki, "an empty regular expression matches everything");
      if (auto err = regex_error(re)) return ctx.error(n, ki, "bad regular expression /" + re + "/: " + *err);
      t.outputs.push_back({stream.substr(0, 6), present, re});
    }
  }
  return ok_status();
}

Status read_requires(const Context& ctx, const toml::table& req, plan::Test& t) {
  if (auto st = check_keys(ctx, req, "requires.",
                           {"min_kernel", "max_kernel", "arch", "btf", "ringbuf", "tracefs", "config"});
      !st)
    return st;
  for (const char* key : {"min_kernel", "max_kernel"}) {
    const toml::node* n = req.get(key);
    if (!n) continue;
    std::string k = std::string("requires.") + key;
    auto s = get_string(ctx, *n, k);
    if (!s) return s.error();
    if (plan::version_parts(*s) == 0) return ctx.error(n, k, "expected a version such as \"5.8\", got '" + *s + "'");
    (std::string_view(key) == "min_kernel" ? t.min_kernel : t.max_kernel) = *s;
  }
  if (!t.min_kernel.empty() && !t.max_kernel.empty() &&
      plan::compare_versions(t.min_kernel, t.max_kernel, plan::version_parts(t.max_kernel)) > 0)
    return ctx.error(req.get("max_kernel"), "requires.max_kernel", "is below min_kernel " + t.min_kernel);
  if (const toml::node* n = req.get("arch")) {
    auto list = get_strings(ctx, *n, "requires.arch");
    if (!list) return list.error();
    for (const auto& a : *list)
      if (a.empty() || a.find_first_of(" \t") != std::string::npos)
        return ctx.error(n, "requires.arch", "expected uname -m names such as \"x86_64\"");
    t.arch = *list;
  }
  for (const char* feature : {"btf", "ringbuf", "tracefs"}) {
    const toml::node* n = req.get(feature);
    if (!n) continue;
    auto v = get_bool(ctx, *n, std::string("requires.") + feature);
    if (!v) return v.error();
    if (*v) t.requires_.emplace_back(feature);
  }
  if (const toml::node* n = req.get("config")) {
    auto list = get_strings(ctx, *n, "requires.config");
    if (!list) return list.error();
    for (const auto& c : *list)
      if (!plan::valid_config_requirement(c))
        return ctx.error(n, "requires.config", "expected CONFIG_NAME or CONFIG_NAME=value, got '" + c + "'");
    t.config = *list;
  }
  return ok_status();
}

// [cost]: the driver's cost measurement (docs/test-specs.md).
Status read_cost(const Context& ctx, const toml::table& cost, plan::Test& t) {
  if (auto st = check_keys(ctx, cost, "cost.", {"enabled", "ops", "rounds"}); !st) return st;
  if (const toml::node* n = cost.get("enabled")) {
    auto v = get_bool(ctx, *n, "cost.enabled");
    if (!v) return v.error();
    t.cost = *v;
  }
  if (const toml::node* n = cost.get("ops")) {
    auto v = get_int(ctx, *n, "cost.ops", 1, plan::kMaxCostOps);
    if (!v) return v.error();
    t.cost_ops = static_cast<int>(*v);
  }
  if (const toml::node* n = cost.get("rounds")) {
    auto v = get_int(ctx, *n, "cost.rounds", 1, plan::kMaxCostRounds);
    if (!v) return v.error();
    t.cost_rounds = static_cast<int>(*v);
  }
  return ok_status();
}

// Rules that need the whole spec.
Status check_consistency(const Context& ctx, const toml::table& top, const plan::Test& t) {
  if (t.expect_truth && t.gen.empty())
    return ctx.error(top.get("expect"), "expect.truth", "needs a generator whose ground truth to check");
  if (t.expect_truth && t.format != "kgrid")
    return ctx.error(top.get("expect"), "expect.truth",
                     "needs per-pid counts, which only format \"kgrid\" reports (this spec: " + t.format + ")");
  for (const auto& m : t.metrics)
    if (!known_metric(t.format, m.metric))
      return ctx.error(top.get("expect"), "expect.metrics",
                       "format \"" + t.format + "\" reports no metric '" + m.metric + "'" +
                           (t.format == "scap-open" ? " (it has events, kernel_events, drops, drops_buffer)" : ""));
  if (t.stop_when == "generator" && t.gen.empty() && t.ready.empty() && t.stop_after_s == 0)
    return ctx.error(top.get("command"), "stop",
                     "with no ready line and no generator the probe would be stopped as soon as it starts; "
                     "set [stop] when = \"exit\" (it ends by itself) or after = <seconds>");
  if (const toml::node* cost = top.get("cost"); cost && t.cost && (t.ready.empty() || t.stop_when != "generator"))
    return ctx.error(cost, "cost",
                     "the cost is measured while the probe is attached: it needs a ready line and "
                     "[stop] when = \"generator\" (or set enabled = false)");
  if (t.stop_after_s >= t.timeout_s)
    return ctx.error(top.get("stop"), "stop.after", "must be below the timeout (" + std::to_string(t.timeout_s) + "s)");
  return ok_status();
}

}  // namespace

Result<plan::MetricExpectation> parse_metric_expectation(std::string_view text) {
  auto bad = [&] {
    return make_error("expected \"<metric> <op> <number>\" such as \"events >= 1\", with op one of "
                      "== != >= <= > <; got '" + std::string(text) + "'");
  };
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  skip_blanks();
  size_t name_start = i;
  while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9') ||
                             text[i] == '_' || text[i] == '.'))
    ++i;
  plan::MetricExpectation m;
  m.metric = std::string(text.substr(name_start, i - name_start));
  if (m.metric.empty()) return bad();
  skip_blanks();
  size_t op_start = i;
  while (i < text.size() && (text[i] == '=' || text[i] == '!' || text[i] == '<' || text[i] == '>')) ++i;
  m.op = std::string(text.substr(op_start, i - op_start));
  if (!plan::valid_op(m.op)) return bad();
  skip_blanks();
  std::string number(text.substr(i));
  while (!number.empty() && (number.back() == ' ' || number.back() == '\t')) number.pop_back();
  char* end = nullptr;
  m.value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size()) return bad();
  return m;
}

Result<Spec> parse_spec(std::string_view text, const fs::path& base_dir, const std::string& name,
                        const SpecDefaults& defaults) {
  Context ctx(name);
  toml::table top;
  try {
    top = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    return make_error(os.str());
  }
  if (auto st = check_keys(ctx, top, "",
                           {"name", "driver", "description", "command", "ready", "generator", "format",
                            "timeout", "files", "pty", "stop", "expect", "requires", "cost"});
      !st)
    return st.error();

  Spec spec;
  plan::Test& t = spec.test;
  t.name = fs::path(name).stem().string();
  if (const toml::node* n = top.get("name")) {
    auto s = get_string(ctx, *n, "name");
    if (!s) return s.error();
    t.name = *s;
  }
  if (t.name.empty() || t.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                            std::string::npos)
    return ctx.error(top.get("name"), "name", "'" + t.name + "' is not a test name (letters, digits, . _ -)");
  t.driver = t.name;
  if (const toml::node* n = top.get("driver")) {
    auto s = get_string(ctx, *n, "driver");
    if (!s) return s.error();
    if (s->empty() || s->find_first_of(" \t") != std::string::npos)
      return ctx.error(n, "driver", "expected one word such as \"modern_bpf\"");
    t.driver = *s;
  }
  if (const toml::node* n = top.get("description"); n && !n->is_string())
    return ctx.error(n, "description", "expected a string");

  const toml::node* command = top.get("command");
  if (!command) return ctx.error(nullptr, "command", "missing: the program to run in the guest, e.g. [\"/kgrid/bin/my-probe\"]");
  auto argv = get_argv(ctx, *command, "command");
  if (!argv) return argv.error();
  t.probe = std::move(*argv);
  if (const toml::node* n = top.get("generator")) {
    auto gen = get_argv(ctx, *n, "generator");
    if (!gen) return gen.error();
    t.gen = std::move(*gen);
  }
  if (const toml::node* n = top.get("format")) {
    auto s = get_string(ctx, *n, "format");
    if (!s) return s.error();
    if (!plan::known_format(*s)) return ctx.error(n, "format", "expected \"kgrid\", \"scap-open\" or \"none\"");
    t.format = *s;
  }
  if (t.format == "scap-open") {
    t.ready = kScapOpenReady;
    t.pty = true;
  }
  if (const toml::node* n = top.get("ready")) {
    auto s = get_string(ctx, *n, "ready");
    if (!s) return s.error();
    t.ready = *s;
  }
  if (const toml::node* n = top.get("pty")) {
    auto v = get_bool(ctx, *n, "pty");
    if (!v) return v.error();
    t.pty = *v;
  }
  t.timeout_s = defaults.timeout_s;
  if (const toml::node* n = top.get("timeout")) {
    auto v = get_int(ctx, *n, "timeout", 1, kMaxTimeoutS);
    if (!v) return v.error();
    t.timeout_s = static_cast<int>(*v);
  }
  if (const toml::node* n = top.get("files")) {
    auto list = get_strings(ctx, *n, "files");
    if (!list) return list.error();
    for (size_t i = 0; i < list->size(); ++i) {
      auto f = parse_file_entry(ctx, *n, "files[" + std::to_string(i) + "]", (*list)[i], base_dir);
      if (!f) return f.error();
      spec.files.push_back(std::move(*f));
    }
  }
  struct Section {
    const char* key;
    Status (*read)(const Context&, const toml::table&, plan::Test&);
  };
  for (const Section& s : {Section{"stop", read_stop}, Section{"expect", read_expect},
                           Section{"requires", read_requires}, Section{"cost", read_cost}}) {
    const toml::node* n = top.get(s.key);
    if (!n) continue;
    const toml::table* table = n->as_table();
    if (!table) return ctx.error(n, s.key, "expected a table ([" + std::string(s.key) + "])");
    if (auto st = s.read(ctx, *table, t); !st) return st.error();
  }
  if (auto st = check_consistency(ctx, top, t); !st) return st.error();
  return spec;
}

Result<Spec> load_spec(const fs::path& file, const SpecDefaults& defaults) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("cannot read spec file " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  fs::path dir = fs::absolute(file).parent_path();
  return parse_spec(ss.str(), dir, file.string(), defaults);
}

Result<SpecSet> combine_specs(std::vector<Spec> specs) {
  SpecSet set;
  std::map<std::string, fs::path> by_guest;
  for (Spec& s : specs) {
    for (const auto& t : set.plan.tests)
      if (t.name == s.test.name)
        return make_error("two specs have the test name '" + s.test.name + "'; set name = \"...\" in one");
    for (SpecFile& f : s.files) {
      auto [it, added] = by_guest.emplace(f.guest, f.host);
      if (added) {
        set.files.push_back(f);
      } else if (it->second != f.host) {
        return make_error("two specs put different files at " + f.guest + ": " + it->second.string() + " and " +
                          f.host.string());
      }
    }
    set.plan.tests.push_back(std::move(s.test));
  }
  return set;
}

Result<SpecSet> load_specs(const std::vector<fs::path>& files, const SpecDefaults& defaults) {
  std::vector<Spec> specs;
  for (const auto& f : files) {
    auto s = load_spec(f, defaults);
    if (!s) return s.error();
    specs.push_back(std::move(*s));
  }
  return combine_specs(std::move(specs));
}

}  // namespace kgrid::host
