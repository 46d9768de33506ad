#include "kernels/image/config.h"

#include <vector>

#include "kernels/cache.h"

namespace kgrid::kernels {
namespace {

bool valid_name(std::string_view n) {
  if (n.size() <= 7 || n.substr(0, 7) != "CONFIG_") return false;
  for (char c : n) {
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

// "\"a \\\"b\\\"\"" -> "a \"b\""; nullopt for a broken quoted string.
std::optional<std::string> unquote(std::string_view v) {
  if (v.empty() || v.front() != '"') return std::string(v);
  if (v.size() < 2 || v.back() != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

}  // namespace

Result<KernelConfig> KernelConfig::parse(std::string_view text) {
  KernelConfig cfg;
  size_t lineno = 0;
  while (!text.empty()) {
    ++lineno;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    std::string_view name = line.substr(0, eq);
    if (eq == std::string_view::npos || !valid_name(name)) {
      return make_error("line " + std::to_string(lineno) + ": expected CONFIG_NAME=value, got \"" +
                        std::string(line.substr(0, 80)) + "\"");
    }
    auto value = unquote(line.substr(eq + 1));
    if (!value) {
      return make_error("line " + std::to_string(lineno) + ": unterminated string for " +
                        std::string(name));
    }
    cfg.values_[std::string(name)] = std::move(*value);
  }
  return cfg;
}

Result<KernelConfig> KernelConfig::load(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  auto cfg = parse(*text);
  if (!cfg) return make_error(path.string() + ": " + cfg.error().message);
  return cfg;
}

bool KernelConfig::is_set(std::string_view name) const {
  auto v = value(name);
  return v && (*v == "y" || *v == "m");
}

bool KernelConfig::is_builtin(std::string_view name) const {
  auto v = value(name);
  return v && *v == "y";
}

std::optional<std::string> KernelConfig::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Result<std::filesystem::path> find_config(const std::filesystem::path& image,
                                          std::string_view release) {
  const std::filesystem::path dir = image.parent_path();
  std::vector<std::filesystem::path> candidates;
  if (!release.empty()) candidates.push_back(dir / ("config-" + std::string(release)));
  candidates.push_back(dir / "config");
  std::filesystem::path beside = image;
  beside += ".config";
  candidates.push_back(beside);
  std::error_code ec;
  std::string tried;
  for (const auto& c : candidates) {
    if (std::filesystem::is_regular_file(c, ec)) return c;
    tried += (tried.empty() ? "" : ", ") + c.string();
  }
  return make_error("no kernel config for " + image.string() + " (tried " + tried + ")");
}

}  // namespace kgrid::kernels
