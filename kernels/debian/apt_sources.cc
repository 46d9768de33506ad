#include "kernels/debian/apt_sources.h"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "kernels/cache.h"
#include "common/text.h"

namespace kgrid::kernels {
namespace {

std::vector<std::string> words(std::string_view s) {
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

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Splits text into lines. Comment lines (first non-blank is '#') are left
// out entirely, so they never end a deb822 stanza; with trailing_comments a
// '#' also starts a comment in the middle of a line (one-line format).
std::vector<std::string_view> lines_of(std::string_view text, bool trailing_comments) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view t = trim(line);
    if (!t.empty() && t.front() == '#') continue;
    if (trailing_comments) line = line.substr(0, line.find('#'));
    out.push_back(line);
  }
  return out;
}

bool usable_uri(std::string_view uri) {
  return uri.starts_with("http://") || uri.starts_with("https://") || uri.starts_with("file://");
}

}  // namespace

std::vector<AptSource> parse_sources_list(std::string_view text) {
  std::vector<AptSource> out;
  for (std::string_view line : lines_of(text, true)) {
    line = trim(line);
    if (line.empty()) continue;
    std::string_view type = line.substr(0, line.find_first_of(" \t"));
    if (type != "deb" && type != "deb-src") continue;
    std::string_view rest = trim(line.substr(type.size()));
    if (!rest.empty() && rest.front() == '[') {  // options: "[arch=amd64 signed-by=...]"
      size_t close = rest.find(']');
      if (close == std::string_view::npos) continue;
      rest = trim(rest.substr(close + 1));
    }
    auto w = words(rest);
    if (w.size() < 2) continue;
    AptSource s;
    s.types = {std::string(type)};
    s.uris = {w[0]};
    s.suites = {w[1]};
    s.components.assign(w.begin() + 2, w.end());
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<AptSource> parse_deb822_sources(std::string_view text) {
  std::vector<AptSource> out;
  AptSource cur;
  bool any = false;
  std::vector<std::string>* last_list = nullptr;  // for continuation lines
  auto flush = [&] {
    if (any) out.push_back(std::move(cur));
    cur = AptSource{};
    any = false;
    last_list = nullptr;
  };
  for (std::string_view line : lines_of(text, false)) {
    if (trim(line).empty()) {  // a blank line ends a stanza
      flush();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {  // continuation of a field
      if (last_list) {
        for (auto& w : words(line)) last_list->push_back(w);
      }
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    any = true;
    last_list = nullptr;
    if (key == "types") last_list = &cur.types;
    else if (key == "uris") last_list = &cur.uris;
    else if (key == "suites") last_list = &cur.suites;
    else if (key == "components") last_list = &cur.components;
    else if (key == "enabled") cur.enabled = lower(value) != "no";
    if (last_list) {
      for (auto& w : words(value)) last_list->push_back(w);
    }
  }
  flush();
  return out;
}

bool is_debian_suite(std::string_view suite) {
  static constexpr std::array<std::string_view, 27> kNames = {
      "buzz",   "rex",      "bo",      "hamm",    "slink",     "potato",       "woody",
      "sarge",  "etch",     "lenny",   "squeeze", "wheezy",    "jessie",       "stretch",
      "buster", "bullseye", "bookworm", "trixie", "forky",     "duke",         "sid",
      "stable", "testing",  "unstable", "oldstable", "oldoldstable", "experimental"};
  for (std::string_view suffix : {"-updates", "-backports", "-proposed-updates", "-backports-sloppy"}) {
    if (suite.size() > suffix.size() && suite.ends_with(suffix)) {
      suite.remove_suffix(suffix.size());
      break;
    }
  }
  return std::find(kNames.begin(), kNames.end(), suite) != kNames.end();
}

std::optional<std::string> pick_debian_mirror(const std::vector<AptSource>& sources) {
  std::optional<std::string> fallback;
  for (const auto& s : sources) {
    if (!s.enabled) continue;
    if (std::find(s.types.begin(), s.types.end(), "deb") == s.types.end()) continue;
    bool debian = !s.suites.empty() &&
                  std::all_of(s.suites.begin(), s.suites.end(), [](const std::string& x) {
                    return is_debian_suite(x);
                  });
    if (!debian) continue;
    bool main = std::find(s.components.begin(), s.components.end(), "main") != s.components.end();
    for (const auto& uri : s.uris) {
      if (!usable_uri(uri)) continue;
      std::string u = uri;
      while (u.size() > 1 && u.back() == '/') u.pop_back();
      if (main) return u;
      if (!fallback) fallback = u;
    }
  }
  return fallback;
}

std::vector<AptSource> read_apt_sources(const std::filesystem::path& apt_dir) {
  std::vector<AptSource> out;
  auto add = [&](std::vector<AptSource> v) {
    for (auto& s : v) out.push_back(std::move(s));
  };
  if (auto t = read_file(apt_dir / "sources.list")) add(parse_sources_list(*t));
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(apt_dir / "sources.list.d", ec)) {
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // apt reads them in name order
  for (const auto& f : files) {
    if (f.extension() == ".list") {
      if (auto t = read_file(f)) add(parse_sources_list(*t));
    } else if (f.extension() == ".sources") {
      if (auto t = read_file(f)) add(parse_deb822_sources(*t));
    }
  }
  return out;
}

Result<std::string> find_debian_mirror(std::string_view explicit_mirror,
                                       const std::filesystem::path& apt_dir) {
  auto strip = [](std::string u) {
    while (u.size() > 1 && u.back() == '/') u.pop_back();
    return u;
  };
  if (!explicit_mirror.empty()) return strip(std::string(explicit_mirror));
  if (const char* env = std::getenv("KGRID_MIRROR"); env && *env) return strip(env);
  if (auto m = pick_debian_mirror(read_apt_sources(apt_dir))) return *m;
  return make_error("no Debian mirror found in " + (apt_dir / "sources.list").string() + " or " +
                    (apt_dir / "sources.list.d").string() +
                    " (looked for a deb source with Debian suites); set KGRID_MIRROR=<url of a "
                    "Debian archive> or pass a mirror explicitly");
}

}  // namespace kgrid::kernels
