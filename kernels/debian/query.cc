#include "kernels/debian/query.h"
#include "common/text.h"

#include <charconv>

namespace kgrid::kernels {
namespace {

// Lower-case letters, digits and ".+-_": what suites, arches, flavors and
// series are made of.
bool valid_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// "a,b", or "*" for none.
std::string join_or_star(const std::vector<std::string>& v) { return v.empty() ? "*" : kgrid::join(v, ","); }

}  // namespace

const std::vector<std::string>& default_suites() {
  static const std::vector<std::string> suites = {"bullseye", "bookworm", "bookworm-backports",
                                                  "trixie",   "sid",      "experimental"};
  return suites;
}

std::vector<std::string> KernelQuery::suite_list() const { return suites.empty() ? default_suites() : suites; }

std::vector<std::string> KernelQuery::arch_list() const {
  return arches.empty() ? std::vector<std::string>{"amd64", "arm64"} : arches;
}

std::string KernelQuery::text() const {
  std::string out = "debian:" + join_or_star(suites) + "?arch=" + join_or_star(arches);
  if (!flavors.empty()) out += "&flavor=" + join_or_star(flavors);
  if (!series.empty()) out += "&series=" + join_or_star(series);
  if (newest) out += "&newest=" + std::to_string(newest);
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item == "*") return {};
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

bool is_query(std::string_view text) {
  if (!text.starts_with("debian:")) return false;
  text.remove_prefix(7);
  return text.find('?') != std::string_view::npos || text.find('/') == std::string_view::npos;
}

Result<KernelQuery> parse_query(std::string_view text) {
  const std::string orig(text);
  auto bad = [&](const std::string& why) {
    return make_error("bad kernel query \"" + orig + "\": " + why +
                      " (expected debian:<suites>?series=..&flavor=..&arch=..&newest=N)");
  };
  if (!text.starts_with("debian:")) return bad("it does not start with debian:");
  text.remove_prefix(7);
  size_t q = text.find('?');
  std::string_view suites = text.substr(0, q);
  std::string_view params = q == std::string_view::npos ? std::string_view() : text.substr(q + 1);
  if (trim(suites).empty()) return bad("no suite (use * for the default suites)");
  KernelQuery query;
  query.suites = split_list(suites);
  auto check_words = [&](const std::vector<std::string>& words, const char* what) -> std::string {
    for (const auto& w : words)
      if (!valid_word(w)) return std::string(what) + " \"" + w + "\" is not valid";
    return "";
  };
  while (!params.empty()) {
    size_t amp = params.find('&');
    std::string_view kv = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) return bad("\"" + std::string(kv) + "\" has no '='");
    std::string_view key = trim(kv.substr(0, eq)), value = trim(kv.substr(eq + 1));
    if (key == "arch") query.arches = split_list(value);
    else if (key == "flavor") query.flavors = split_list(value);
    else if (key == "series") query.series = split_list(value);
    else if (key == "newest") {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), query.newest);
      if (ec != std::errc() || p != value.data() + value.size()) return bad("newest must be a number");
    } else {
      return bad("unknown key \"" + std::string(key) + "\"");
    }
  }
  for (auto [words, what] : {std::pair{&query.suites, "suite"}, {&query.arches, "arch"},
                             {&query.flavors, "flavor"}, {&query.series, "series"}}) {
    std::string why = check_words(*words, what);
    if (!why.empty()) return bad(why);
  }
  return query;
}

}  // namespace kgrid::kernels
