#include "results/results.h"

#include <ctime>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "results/kernel_info.h"

namespace kgrid::results {
namespace {

using json = nlohmann::json;

constexpr const char* kVerdictNames[] = {"PASS",    "SKIP",  "FAIL",       "TIMEOUT",
                                         "PANIC",   "BOOT_FAIL", "INFRA_ERROR"};

json metrics_to_json(const std::map<std::string, double>& m) {
  json metrics = json::object();
  for (const auto& [k, v] : m) metrics[k] = v;
  return metrics;
}

json test_to_json(const TestResult& t) {
  return {{"name", t.name},     {"driver", t.driver}, {"compiler", t.compiler},
          {"verdict", verdict_name(t.verdict)}, {"reason", t.reason},
          {"metrics", metrics_to_json(t.metrics)}};
}

json build_to_json(const BuildResult& b) {
  return {{"driver", b.driver}, {"compiler", b.compiler}, {"verdict", verdict_name(b.verdict)},
          {"reason", b.reason}, {"metrics", metrics_to_json(b.metrics)},
          {"artifact", b.artifact}, {"log", b.log}};
}

json kernel_to_json(const KernelResult& k) {
  json tests = json::array();
  for (const auto& t : k.tests) tests.push_back(test_to_json(t));
  json builds = json::array();
  for (const auto& b : k.builds) builds.push_back(build_to_json(b));
  KernelResult d = with_derived_fields(k);
  return {{"id", k.id},
          {"version", k.version},
          {"arch", k.arch},
          {"image", k.image},
          {"source", k.source},
          {"distro", d.distro},
          {"series", d.series},
          {"flavor", d.flavor},
          {"boot_mode", k.boot_mode},
          {"verdict", verdict_name(k.verdict)},
          {"reason", k.reason},
          {"duration_s", k.duration_s},
          {"boot_s", k.boot_s},
          {"init_s", k.init_s},
          {"accel", k.accel},
          {"accel_note", k.accel_note},
          {"warnings", k.warnings},
          {"builds", builds},
          {"tests", tests}};
}

// Field readers that name the field in their error.
template <class T>
Result<T> field(const json& obj, const std::string& where, const char* key) {
  if (!obj.is_object()) return make_error(where + ": expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) return make_error(where + "." + key + ": missing");
  try {
    return it->template get<T>();
  } catch (const json::exception&) {
    return make_error(where + "." + key + ": has the wrong type (" + it->type_name() + ")");
  }
}

// An optional field: absent or null gives `fallback`; present with the wrong
// type is an error that names it (a hand-edited file should not silently lose
// data).
template <class T>
Result<T> optional_field(const json& obj, const std::string& where, const char* key, T fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if constexpr (std::is_same_v<T, double>) {
    if (!it->is_number())
      return make_error(where + "." + key + ": expected a number, found " + it->type_name());
  }
  try {
    return it->template get<T>();
  } catch (const json::exception&) {
    return make_error(where + "." + key + ": has the wrong type (" + it->type_name() + ")");
  }
}

#define KGRID_TRY(var, expr)               \
  auto var##_r = (expr);                   \
  if (!var##_r) return var##_r.error();    \
  auto var = std::move(*var##_r)

// Assigns an optional field to `target`, returning on a type error.
#define KGRID_OPT(target, obj, where, key, fallback)                                   \
  do {                                                                                 \
    auto r_ = optional_field<std::decay_t<decltype(target)>>(obj, where, key, fallback); \
    if (!r_) return r_.error();                                                        \
    target = std::move(*r_);                                                           \
  } while (0)

Result<std::map<std::string, double>> metrics_from_json(const json& j, const std::string& where) {
  std::map<std::string, double> out;
  auto metrics = j.find("metrics");
  if (metrics == j.end() || metrics->is_null()) return out;
  if (!metrics->is_object()) return make_error(where + ".metrics: expected an object");
  for (auto it = metrics->begin(); it != metrics->end(); ++it) {
    if (!it->is_number()) return make_error(where + ".metrics." + it.key() + ": not a number");
    out[it.key()] = it->get<double>();
  }
  return out;
}

Result<Verdict> verdict_from_json(const json& j, const std::string& where) {
  KGRID_TRY(text, field<std::string>(j, where, "verdict"));
  auto verdict = parse_verdict(text);
  if (!verdict) return make_error(where + ".verdict: " + verdict.error().message);
  return *verdict;
}

Result<BuildResult> build_from_json(const json& j, const std::string& where) {
  BuildResult b;
  KGRID_TRY(driver, field<std::string>(j, where, "driver"));
  KGRID_TRY(verdict, verdict_from_json(j, where));
  b.driver = driver;
  b.verdict = verdict;
  KGRID_OPT(b.compiler, j, where, "compiler", "");
  KGRID_OPT(b.reason, j, where, "reason", "");
  KGRID_OPT(b.artifact, j, where, "artifact", "");
  KGRID_OPT(b.log, j, where, "log", "");
  KGRID_TRY(metrics, metrics_from_json(j, where));
  b.metrics = std::move(metrics);
  return b;
}

Result<TestResult> test_from_json(const json& j, const std::string& where) {
  TestResult t;
  KGRID_TRY(name, field<std::string>(j, where, "name"));
  KGRID_TRY(verdict, verdict_from_json(j, where));
  t.name = name;
  t.verdict = verdict;
  KGRID_OPT(t.driver, j, where, "driver", "");
  KGRID_OPT(t.compiler, j, where, "compiler", "");
  KGRID_OPT(t.reason, j, where, "reason", "");
  KGRID_TRY(metrics, metrics_from_json(j, where));
  t.metrics = std::move(metrics);
  return t;
}

// Reads an optional array of objects with `read`, naming each element.
template <class T, class Read>
Status array_from_json(const json& j, const std::string& where, const char* key, Read read,
                       std::vector<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return ok_status();
  if (!it->is_array()) return make_error(where + "." + key + ": expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    auto item = read((*it)[i], where + "." + key + "[" + std::to_string(i) + "]");
    if (!item) return item.error();
    out.push_back(std::move(*item));
  }
  return ok_status();
}

Result<KernelResult> kernel_from_json(const json& j, const std::string& where) {
  KernelResult k;
  KGRID_TRY(id, field<std::string>(j, where, "id"));
  KGRID_TRY(verdict, verdict_from_json(j, where));
  k.id = id;
  k.verdict = verdict;
  KGRID_OPT(k.version, j, where, "version", "");
  KGRID_OPT(k.arch, j, where, "arch", "");
  KGRID_OPT(k.image, j, where, "image", "");
  KGRID_OPT(k.source, j, where, "source", "");
  KGRID_OPT(k.distro, j, where, "distro", "");
  KGRID_OPT(k.series, j, where, "series", "");
  KGRID_OPT(k.flavor, j, where, "flavor", "");
  KGRID_OPT(k.boot_mode, j, where, "boot_mode", "");
  KGRID_OPT(k.reason, j, where, "reason", "");
  KGRID_OPT(k.duration_s, j, where, "duration_s", 0.0);
  KGRID_OPT(k.boot_s, j, where, "boot_s", 0.0);
  KGRID_OPT(k.init_s, j, where, "init_s", 0.0);
  KGRID_OPT(k.accel, j, where, "accel", "");
  KGRID_OPT(k.accel_note, j, where, "accel_note", "");
  KGRID_OPT(k.warnings, j, where, "warnings", std::vector<std::string>{});
  if (auto st = array_from_json(j, where, "builds", build_from_json, k.builds); !st) return st.error();
  if (auto st = array_from_json(j, where, "tests", test_from_json, k.tests); !st) return st.error();
  return with_derived_fields(std::move(k));
}

}  // namespace

const char* verdict_name(Verdict v) { return kVerdictNames[static_cast<int>(v)]; }

Result<Verdict> parse_verdict(std::string_view name) {
  for (int i = 0; i < 7; ++i)
    if (name == kVerdictNames[i]) return static_cast<Verdict>(i);
  return make_error("unknown verdict '" + std::string(name) + "'");
}

std::string to_json(const RunResults& run) {
  json kernels = json::array();
  for (const auto& k : run.kernels) kernels.push_back(kernel_to_json(k));
  json timings = json::array();
  for (const auto& [pass, s] : run.timings) timings.push_back({{"pass", pass}, {"s", s}});
  json j = {{"schema", kSchemaVersion},     {"kgrid_version", run.kgrid_version},
            {"started_at", run.started_at}, {"wall_s", run.wall_s},
            {"interrupted", run.interrupted}, {"accel", run.accel},
            {"accel_reason", run.accel_reason}, {"timings", timings}, {"kernels", kernels}};
  return j.dump(2) + "\n";
}

Result<RunResults> from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() says where: "... parse error at line 12, column 3: ... unexpected end of input".
    return make_error(std::string("results.json is not valid JSON (truncated or corrupt): ") + e.what());
  }
  const std::string where = "results";
  KGRID_TRY(schema, field<int>(j, where, "schema"));
  if (schema > kSchemaVersion)
    return make_error("results.schema: " + std::to_string(schema) +
                      " is newer than this kgrid understands (" +
                      std::to_string(kSchemaVersion) + "); upgrade kgrid");
  if (schema < kOldestSchemaVersion)
    return make_error("results.schema: invalid value " + std::to_string(schema));
  RunResults run;
  KGRID_OPT(run.kgrid_version, j, where, "kgrid_version", "");
  KGRID_OPT(run.started_at, j, where, "started_at", "");
  KGRID_OPT(run.wall_s, j, where, "wall_s", 0.0);
  KGRID_OPT(run.interrupted, j, where, "interrupted", false);
  KGRID_OPT(run.accel, j, where, "accel", "");
  KGRID_OPT(run.accel_reason, j, where, "accel_reason", "");
  if (auto t = j.find("timings"); t != j.end() && t->is_array())
    for (const auto& e : *t)
      if (e.is_object() && e.value("pass", json()).is_string() && e.value("s", json()).is_number())
        run.timings.emplace_back(e["pass"].get<std::string>(), e["s"].get<double>());
  auto kernels = j.find("kernels");
  if (kernels == j.end()) return make_error("results.kernels: missing");
  if (!kernels->is_array()) return make_error("results.kernels: expected an array");
  if (auto st = array_from_json(j, where, "kernels", kernel_from_json, run.kernels); !st) return st.error();
  return run;
}

Result<RunResults> read_results_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return read_results_file(path / "results.json");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(path.string() + ": " + std::strerror(errno));
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return make_error(path.string() + ": read error");
  auto run = from_json(text);
  if (!run) return make_error(path.string() + ": " + run.error().message);
  return run;
}

std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status write_results_json(const std::filesystem::path& out_dir, const RunResults& run) {
  return write_file_atomic(out_dir / "results.json", to_json(run));
}

Status write_summary(const std::filesystem::path& out_dir, const RunResults& run) {
  return write_file_atomic(out_dir / "summary.txt", format_summary(run, out_dir.string()));
}

}  // namespace kgrid::results
