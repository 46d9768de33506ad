#include "kernels/debian/release.h"
#include "common/text.h"

#include <charconv>
#include <cstring>

namespace kgrid::kernels {
namespace {

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::optional<std::time_t> parse_release_date(std::string_view text) {
  std::string s(trim(text));
  struct tm tm{};
  // The weekday is optional; the zone is always UTC in the Debian archive.
  const char* p = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!p) p = ::strptime(s.c_str(), "%d %b %Y %H:%M:%S", &tm);
  if (!p) return std::nullopt;
  std::string_view zone = trim(p);
  if (!zone.empty() && zone != "UTC" && zone != "GMT" && zone != "+0000" && zone != "Z") return std::nullopt;
  return ::timegm(&tm);
}

Result<Release> parse_release(std::string_view text) {
  Release r;
  bool in_sha256 = false, saw_sha256 = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (trim(line).empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (!in_sha256) continue;
      // " <sha256> <size> <path>"
      std::string_view rest = trim(line);
      size_t a = rest.find_first_of(" \t");
      if (a == std::string_view::npos) return make_error("Release line " + std::to_string(line_no) + ": bad SHA256 entry");
      std::string_view hash = rest.substr(0, a);
      rest = trim(rest.substr(a));
      size_t b = rest.find_first_of(" \t");
      if (b == std::string_view::npos) return make_error("Release line " + std::to_string(line_no) + ": bad SHA256 entry");
      std::string_view size_text = rest.substr(0, b);
      std::string_view path = trim(rest.substr(b));
      ReleaseFile f;
      auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), f.size);
      if (ec != std::errc() || ptr != size_text.data() + size_text.size() || !is_hex64(hash) || path.empty())
        return make_error("Release line " + std::to_string(line_no) + ": bad SHA256 entry");
      f.sha256 = std::string(hash);
      r.sha256[std::string(path)] = std::move(f);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    in_sha256 = key == "SHA256";
    saw_sha256 |= in_sha256;
    if (key == "Suite") r.suite = value;
    else if (key == "Codename") r.codename = value;
    else if (key == "Date") r.date = parse_release_date(value);
    else if (key == "Valid-Until") r.valid_until = parse_release_date(value);
    else if (key == "Acquire-By-Hash") r.acquire_by_hash = value == "yes";
  }
  if (!saw_sha256 || r.sha256.empty()) return make_error("the Release file has no SHA256 list");
  return r;
}

}  // namespace kgrid::kernels
