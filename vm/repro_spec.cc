#include "vm/repro_spec.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "common/protocol.h"
#include "vm/qemu.h"
#include "results/results.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The test count from the sweep's results.json, for runs without qemu.json.
Result<size_t> planned_from_results(const fs::path& kernel_dir, const std::string& id) {
  fs::path results = kernel_dir.parent_path().parent_path() / "results.json";
  auto text = read_text(results);
  if (!text) return text.error();
  auto run = results::from_json(*text);
  if (!run) return make_error(results.string() + ": " + run.error().message);
  for (const auto& k : run->kernels)
    if (k.id == id && !k.tests.empty()) return k.tests.size();
  return make_error(results.string() + " has no test results for " + id);
}

}  // namespace

std::string format_qemu_json(const ReproSpec& s) {
  const Deadlines& d = s.deadlines;
  json j = {{"schema", 1},
            {"id", s.id},
            {"argv", s.argv},
            {"nonce", s.nonce},
            {"planned_tests", s.planned_tests},
            {"deadlines",
             {{"boot_s", d.boot_s},
              {"inactivity_s", d.inactivity_s},
              {"test_grace_s", d.test_grace_s},
              {"run_s", d.run_s},
              {"shutdown_s", d.shutdown_s},
              {"crash_linger_s", d.crash_linger_s}}}};
  return j.dump(2) + "\n";
}

Result<ReproSpec> parse_qemu_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("not a JSON object");
  if (j.value("schema", 0) != 1) return make_error("unsupported schema (expected 1)");
  ReproSpec s;
  try {
    s.id = j.value("id", "");
    s.argv = j.at("argv").get<std::vector<std::string>>();
    s.nonce = j.value("nonce", "");
    s.planned_tests = j.at("planned_tests").get<size_t>();
    if (auto d = j.find("deadlines"); d != j.end() && d->is_object()) {
      s.deadlines.boot_s = d->value("boot_s", s.deadlines.boot_s);
      s.deadlines.inactivity_s = d->value("inactivity_s", s.deadlines.inactivity_s);
      s.deadlines.test_grace_s = d->value("test_grace_s", s.deadlines.test_grace_s);
      s.deadlines.run_s = d->value("run_s", s.deadlines.run_s);
      s.deadlines.shutdown_s = d->value("shutdown_s", s.deadlines.shutdown_s);
      s.deadlines.crash_linger_s = d->value("crash_linger_s", s.deadlines.crash_linger_s);
    }
  } catch (const json::exception& e) {
    return make_error(std::string("bad field: ") + e.what());
  }
  if (s.argv.empty()) return make_error("argv is empty");
  if (s.nonce.empty()) s.nonce = protocol::nonce_from_cmdline(argv_value(s.argv, "-append"));
  return s;
}

Result<std::vector<std::string>> shell_split(std::string_view line) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      size_t close = line.find('\'', i + 1);
      if (close == std::string_view::npos) return make_error("unterminated quote");
      word.append(line.substr(i + 1, close - i - 1));
      i = close;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= line.size()) return make_error("a backslash at the end of the line");
      word += line[++i];
      in_word = true;
    } else if (c == '"' || c == '$' || c == '`') {
      return make_error(std::string("unsupported shell syntax: ") + c);
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(word));
  return out;
}

Result<ReproSpec> load_repro_spec(const fs::path& kernel_dir) {
  std::error_code ec;
  if (!fs::is_directory(kernel_dir, ec))
    return make_error(kernel_dir.string() + ": not a directory (expected OUT/kernels/<id> from kgrid run)");
  fs::path json_path = kernel_dir / "qemu.json", cmd_path = kernel_dir / "qemu.cmd";
  if (fs::exists(json_path, ec)) {
    auto text = read_text(json_path);
    if (!text) return text.error();
    auto spec = parse_qemu_json(*text);
    if (!spec) return make_error(json_path.string() + ": " + spec.error().message);
    if (spec->id.empty()) spec->id = fs::absolute(kernel_dir).lexically_normal().filename().string();
    return spec;
  }
  if (!fs::exists(cmd_path, ec))
    return make_error(kernel_dir.string() + ": no qemu.json or qemu.cmd (expected OUT/kernels/<id> from kgrid run)");
  auto text = read_text(cmd_path);
  if (!text) return text.error();
  auto argv = shell_split(*text);
  if (!argv) return make_error(cmd_path.string() + ": " + argv.error().message);
  if (argv->empty()) return make_error(cmd_path.string() + ": empty");
  ReproSpec spec;
  spec.id = fs::absolute(kernel_dir).lexically_normal().filename().string();
  spec.argv = std::move(*argv);
  spec.nonce = protocol::nonce_from_cmdline(argv_value(spec.argv, "-append"));
  auto planned = planned_from_results(kernel_dir, spec.id);
  if (!planned) return make_error("no qemu.json, and the test count is unknown: " + planned.error().message);
  spec.planned_tests = *planned;
  return spec;
}

std::string argv_value(const std::vector<std::string>& argv, std::string_view option) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == option) return argv[i + 1];
  return "";
}

Result<std::vector<std::string>> repro_argv(const std::vector<std::string>& argv, const ReproChanges& changes,
                                            std::vector<std::string>& notes) {
  std::vector<std::string> out = argv;
  bool have_append = false;
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == "-append") {
      have_append = true;
      std::string cmdline;
      for (const auto& w : split_words(out[i + 1])) {
        if (w == "quiet") {
          notes.push_back("'quiet' dropped from the kernel command line: the console is verbose");
          continue;
        }
        if (w == "kgrid.stop_on_fail=1" || w.rfind("kgrid.shell=", 0) == 0) continue;
        cmdline += (cmdline.empty() ? "" : " ") + w;
      }
      cmdline += " kgrid.stop_on_fail=1";
      if (changes.shell) cmdline += " kgrid.shell=after";
      out[i + 1] = cmdline;
    } else if (out[i] == "-accel" && out[i + 1] == "kvm" && !changes.kvm_usable) {
      out[i + 1] = "tcg";
      notes.push_back("the sweep used KVM, which is not usable here" +
                      (changes.why_not_kvm.empty() ? std::string() : " (" + changes.why_not_kvm + ")") +
                      ": running under TCG");
      const ArchSpec* spec = find_arch_by_qemu(out[0]);
      for (size_t j = 0; j + 1 < out.size(); ++j)
        if (out[j] == "-cpu" && out[j + 1] == "host") out[j + 1] = spec ? spec->cpu_tcg : "max";
    } else if (out[i] == "-accel" && out[i + 1] == "tcg" && changes.to_kvm) {
      out[i + 1] = "kvm";
      notes.push_back("the sweep used TCG; running under KVM as asked");
      const ArchSpec* spec = find_arch_by_qemu(out[0]);
      for (size_t j = 0; j + 1 < out.size(); ++j)
        if (out[j] == "-cpu" && spec && out[j + 1] == spec->cpu_tcg) out[j + 1] = spec->cpu_kvm;
    }
  }
  if (!have_append) return make_error("the recorded QEMU command has no -append (kernel command line)");
  return out;
}

}  // namespace kgrid::host
