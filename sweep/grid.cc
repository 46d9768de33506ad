#include "sweep/grid.h"

#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace kgrid::host {
namespace {

// Suites, arches, flavors and series: lower-case letters, digits, ".+-_".
bool valid_word(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A string or an array of strings, as a comma list ("*" for all).
Result<std::string> word_list(const toml::node& node, const std::string& where) {
  std::vector<std::string> words;
  if (auto s = node.value<std::string>()) {
    words.push_back(*s);
  } else if (const toml::array* a = node.as_array()) {
    for (const auto& item : *a) {
      auto s2 = item.value<std::string>();
      if (!s2 || !item.is_string()) return make_error(where + ": expected strings");
      words.push_back(*s2);
    }
  } else {
    return make_error(where + ": expected a string or an array of strings" +
                      (node.is_floating_point() ? " (write series as a string: \"6.1\", not 6.1)" : ""));
  }
  if (words.empty()) return make_error(where + ": empty list");
  std::string out;
  for (const auto& w : words) {
    if (w == "*") return std::string("*");
    if (!valid_word(w)) return make_error(where + ": \"" + w + "\" is not a valid name");
    out += (out.empty() ? "" : ",") + w;
  }
  return out;
}

Result<std::string> select_query(const toml::table& sel, const std::string& where) {
  std::string suite, arch = "amd64", flavor = "*", series = "*";
  long long newest = 0;
  for (auto&& [key, value] : sel) {
    const std::string k(key.str());
    const std::string at = where + ".select." + k;
    if (k == "suite" || k == "arch" || k == "flavor" || k == "series") {
      auto list = word_list(value, at);
      if (!list) return list.error();
      (k == "suite" ? suite : k == "arch" ? arch : k == "flavor" ? flavor : series) = *list;
    } else if (k == "newest") {
      auto n = value.value<int64_t>();
      if (!n || !value.is_integer() || *n < 0) return make_error(at + ": expected a whole number >= 0");
      newest = *n;
    } else {
      return make_error(where + ".select: unknown key '" + k + "' (expected suite, arch, flavor, series, newest)");
    }
  }
  if (suite.empty()) return make_error(where + ".select: needs a suite (a name, a list, or \"*\")");
  std::string q = "debian:" + suite + "?arch=" + arch;
  if (flavor != "*") q += "&flavor=" + flavor;
  if (series != "*") q += "&series=" + series;
  if (newest) q += "&newest=" + std::to_string(newest);
  return q;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

Result<std::vector<KernelRef>> parse_grid(std::string_view text, const std::filesystem::path& base_dir,
                                          const std::string& name) {
  toml::table table;
  try {
    table = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    return make_error(os.str());
  }
  for (auto&& [key, value] : table) {
    if (key != "kernel" && key != "name" && key != "description")
      return make_error(name + ": unknown key '" + std::string(key.str()) + "' (expected [[kernel]] entries)");
    (void)value;
  }
  const toml::array* kernels = table["kernel"].as_array();
  if (!kernels || kernels->empty()) return make_error(name + ": no [[kernel]] entries");

  std::vector<KernelRef> refs;
  size_t index = 0;
  for (const auto& node : *kernels) {
    std::string where = name + ": kernel[" + std::to_string(index++) + "]";
    const toml::table* entry = node.as_table();
    if (!entry) return make_error(where + ": expected a table");
    std::set<std::string> keys;
    for (auto&& [key, value] : *entry) {
      std::string k(key.str());
      if (k != "debian" && k != "path" && k != "dir" && k != "select" && k != "url" && k != "sha256")
        return make_error(where + ": unknown key '" + k + "' (expected debian, select, url + sha256, path or dir)");
      keys.insert(k);
    }
    const size_t kinds = keys.size() - keys.count("sha256");
    if (kinds != 1) return make_error(where + ": needs exactly one of debian, select, url, path or dir");
    if (keys.count("sha256") && !keys.count("url")) return make_error(where + ": sha256 belongs to a url entry");
    auto string_of = [&](const std::string& k) -> Result<std::string> {
      auto s = (*entry)[k].value<std::string>();
      if (!s || s->empty() || !(*entry)[k].is_string()) return make_error(where + "." + k + ": expected a non-empty string");
      return *s;
    };

    KernelRef ref;
    if (keys.count("select")) {
      const toml::table* sel = (*entry)["select"].as_table();
      if (!sel) return make_error(where + ".select: expected a table, e.g. { suite = \"trixie\", newest = 1 }");
      auto q = select_query(*sel, where);
      if (!q) return q.error();
      ref.kind = KernelRef::Kind::Select;
      ref.value = *q;
    } else if (keys.count("url")) {
      auto url = string_of("url");
      if (!url) return url.error();
      if (!keys.count("sha256")) return make_error(where + ": url needs sha256 = \"<64 hex digits>\" (downloads are pinned)");
      auto sha = string_of("sha256");
      if (!sha) return sha.error();
      if (!is_hex64(*sha)) return make_error(where + ".sha256: expected 64 lower-case hex digits");
      if (url->find('#') != std::string::npos) return make_error(where + ".url: no '#' fragment (the pin goes in sha256)");
      ref.kind = KernelRef::Kind::Url;
      ref.value = *url + "#sha256=" + *sha;
    } else {
      const std::string k = *keys.begin();
      auto s = string_of(k);
      if (!s) return s.error();
      if (k == "debian") {
        ref.kind = KernelRef::Kind::Debian;
        ref.value = "debian:" + *s;
      } else {
        ref.kind = k == "path" ? KernelRef::Kind::File : KernelRef::Kind::Dir;
        std::filesystem::path p(*s);
        ref.value = (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
      }
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

Result<std::vector<std::string>> kernel_sources(const std::vector<std::string>& kernels,
                                                const std::filesystem::path& grid_file, std::string_view usage) {
  std::vector<std::string> names = kernels;
  if (!grid_file.empty()) {
    auto grid = load_grid(grid_file);
    if (!grid) return grid.error();
    for (const auto& ref : *grid) names.push_back(ref.value);
  }
  if (names.empty()) return make_error("no kernels given (use " + std::string(usage) + ")");
  return names;
}

Result<std::vector<KernelRef>> load_grid(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("cannot read grid file " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_grid(ss.str(), file.parent_path(), file.string());
}

}  // namespace kgrid::host
