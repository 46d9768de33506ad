#include "compile/compilers.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace kgrid::host {

namespace fs = std::filesystem;

const char* build_verdict_name(BuildVerdict v) {
  switch (v) {
    case BuildVerdict::Built: return "BUILT";
    case BuildVerdict::BuildFail: return "BUILD_FAIL";
    case BuildVerdict::Skip: return "SKIP";
    case BuildVerdict::Timeout: return "TIMEOUT";
  }
  return "SKIP";
}

std::string family_for_driver(const std::string& driver) {
  if (driver == "kmod") return "gcc";
  if (driver == "bpf") return "clang";
  return "";
}

std::vector<fs::path> path_dirs_from_env() {
  std::vector<fs::path> dirs;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    if (end > start) dirs.emplace_back(p.substr(start, end - start));
    start = end + 1;
  }
  return dirs;
}

Result<Compiler> parse_compiler_name(const std::string& name) {
  Compiler c;
  size_t dash = name.rfind('-');
  if (dash == std::string::npos) return make_error("compiler '" + name + "': expected gcc-N or clang-N");
  c.family = name.substr(0, dash);
  if (c.family != "gcc" && c.family != "clang")
    return make_error("compiler '" + name + "': expected gcc-N or clang-N");
  const char* b = name.data() + dash + 1;
  const char* e = name.data() + name.size();
  auto [end, ec] = std::from_chars(b, e, c.version);
  if (ec != std::errc() || end != e || b == e || c.version <= 0)
    return make_error("compiler '" + name + "': expected gcc-N or clang-N");
  c.name = name;
  return c;
}

namespace {

fs::path find_exe(const std::vector<fs::path>& dirs, const std::string& name) {
  for (const fs::path& d : dirs) {
    fs::path p = d / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return fs::absolute(p, ec);
  }
  return {};
}

}  // namespace

std::vector<Compiler> find_compilers(const std::vector<fs::path>& dirs) {
  std::vector<Compiler> found;
  for (const char* family : {"gcc", "clang"}) {
    for (int v = 4; v <= 40; ++v) {
      auto c = parse_compiler_name(std::string(family) + "-" + std::to_string(v));
      c->cc = find_exe(dirs, c->name);
      if (c->cc.empty()) continue;
      if (c->family == "clang") {
        c->llc = find_exe(dirs, "llc-" + std::to_string(v));
        if (c->llc.empty()) continue;
      }
      found.push_back(*c);
    }
  }
  return found;
}

Result<std::vector<Compiler>> select_compilers(const std::vector<std::string>& names,
                                               const std::vector<Compiler>& found) {
  if (names.empty()) return found;
  std::vector<Compiler> chosen;
  for (const std::string& n : names) {
    auto parsed = parse_compiler_name(n);
    if (!parsed) return parsed.error();
    auto it = std::find_if(found.begin(), found.end(), [&](const Compiler& c) { return c.name == n; });
    if (it == found.end()) {
      std::string have;
      for (const Compiler& c : found) have += (have.empty() ? "" : ", ") + c.name;
      return make_error("compiler " + n + " is not installed" +
                        (n.rfind("clang-", 0) == 0 ? " (with llc-" + std::to_string(parsed->version) + ")" : "") +
                        "; found: " + (have.empty() ? "none" : have));
    }
    if (std::find_if(chosen.begin(), chosen.end(), [&](const Compiler& c) { return c.name == n; }) == chosen.end())
      chosen.push_back(*it);
  }
  return chosen;
}

}  // namespace kgrid::host
