#include "results/results.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace kgrid::results {
namespace {

using json = nlohmann::json;

constexpr const char* kVerdictNames[] = {"PASS",    "SKIP",  "FAIL",       "TIMEOUT",
                                         "PANIC",   "BOOT_FAIL", "INFRA_ERROR"};

json test_to_json(const TestResult& t) {
  json metrics = json::object();
  for (const auto& [k, v] : t.metrics) metrics[k] = v;
  return {{"name", t.name},       {"driver", t.driver}, {"verdict", verdict_name(t.verdict)},
          {"reason", t.reason},   {"metrics", metrics}};
}

json kernel_to_json(const KernelResult& k) {
  json tests = json::array();
  for (const auto& t : k.tests) tests.push_back(test_to_json(t));
  return {{"id", k.id},
          {"version", k.version},
          {"arch", k.arch},
          {"image", k.image},
          {"source", k.source},
          {"verdict", verdict_name(k.verdict)},
          {"reason", k.reason},
          {"duration_s", k.duration_s},
          {"boot_s", k.boot_s},
          {"warnings", k.warnings},
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

template <class T>
T optional_field(const json& obj, const char* key, T fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  try {
    return it->template get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

#define KGRID_TRY(var, expr)               \
  auto var##_r = (expr);                   \
  if (!var##_r) return var##_r.error();    \
  auto var = std::move(*var##_r)

Result<TestResult> test_from_json(const json& j, const std::string& where) {
  TestResult t;
  KGRID_TRY(name, field<std::string>(j, where, "name"));
  KGRID_TRY(verdict_text, field<std::string>(j, where, "verdict"));
  auto verdict = parse_verdict(verdict_text);
  if (!verdict) return make_error(where + ".verdict: " + verdict.error().message);
  t.name = name;
  t.verdict = *verdict;
  t.driver = optional_field<std::string>(j, "driver", "");
  t.reason = optional_field<std::string>(j, "reason", "");
  auto metrics = j.find("metrics");
  if (metrics != j.end() && metrics->is_object()) {
    for (auto it = metrics->begin(); it != metrics->end(); ++it) {
      if (!it->is_number()) return make_error(where + ".metrics." + it.key() + ": not a number");
      t.metrics[it.key()] = it->get<double>();
    }
  }
  return t;
}

Result<KernelResult> kernel_from_json(const json& j, const std::string& where) {
  KernelResult k;
  KGRID_TRY(id, field<std::string>(j, where, "id"));
  KGRID_TRY(verdict_text, field<std::string>(j, where, "verdict"));
  auto verdict = parse_verdict(verdict_text);
  if (!verdict) return make_error(where + ".verdict: " + verdict.error().message);
  k.id = id;
  k.verdict = *verdict;
  k.version = optional_field<std::string>(j, "version", "");
  k.arch = optional_field<std::string>(j, "arch", "");
  k.image = optional_field<std::string>(j, "image", "");
  k.source = optional_field<std::string>(j, "source", "");
  k.reason = optional_field<std::string>(j, "reason", "");
  k.duration_s = optional_field<double>(j, "duration_s", 0);
  k.boot_s = optional_field<double>(j, "boot_s", 0);
  k.warnings = optional_field<std::vector<std::string>>(j, "warnings", {});
  auto tests = j.find("tests");
  if (tests != j.end()) {
    if (!tests->is_array()) return make_error(where + ".tests: expected an array");
    for (size_t i = 0; i < tests->size(); ++i) {
      auto t = test_from_json((*tests)[i], where + ".tests[" + std::to_string(i) + "]");
      if (!t) return t.error();
      k.tests.push_back(std::move(*t));
    }
  }
  return k;
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
  json j = {{"schema", kSchemaVersion},     {"kgrid_version", run.kgrid_version},
            {"started_at", run.started_at}, {"wall_s", run.wall_s},
            {"interrupted", run.interrupted}, {"accel", run.accel},
            {"kernels", kernels}};
  return j.dump(2) + "\n";
}

Result<RunResults> from_json(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error("results.json is not valid JSON (truncated or corrupt)");
  KGRID_TRY(schema, field<int>(j, "results", "schema"));
  if (schema > kSchemaVersion)
    return make_error("results.schema: " + std::to_string(schema) +
                      " is newer than this kgrid understands (" +
                      std::to_string(kSchemaVersion) + "); upgrade kgrid");
  if (schema < 1) return make_error("results.schema: invalid value " + std::to_string(schema));
  RunResults run;
  run.kgrid_version = optional_field<std::string>(j, "kgrid_version", "");
  run.started_at = optional_field<std::string>(j, "started_at", "");
  run.wall_s = optional_field<double>(j, "wall_s", 0);
  run.interrupted = optional_field<bool>(j, "interrupted", false);
  run.accel = optional_field<std::string>(j, "accel", "");
  auto kernels = j.find("kernels");
  if (kernels == j.end() || !kernels->is_array())
    return make_error("results.kernels: missing or not an array");
  for (size_t i = 0; i < kernels->size(); ++i) {
    auto k = kernel_from_json((*kernels)[i], "results.kernels[" + std::to_string(i) + "]");
    if (!k) return k.error();
    run.kernels.push_back(std::move(*k));
  }
  return run;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view data) {
  std::string tmp = path.string() + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error("cannot write " + tmp + ": " + err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return make_error("cannot flush " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error("cannot rename " + tmp + " to " + path.string() + ": " + err);
  }
  return ok_status();
}

Status write_results_json(const std::filesystem::path& out_dir, const RunResults& run) {
  return write_file_atomic(out_dir / "results.json", to_json(run));
}

Status write_summary(const std::filesystem::path& out_dir, const RunResults& run) {
  return write_file_atomic(out_dir / "summary.txt", format_summary(run));
}

}  // namespace kgrid::results
