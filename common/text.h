// Small text helpers shared by the host and the guest binaries (header-only,
// so the static guests pay only for what they use).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kgrid {

// Without leading and trailing blanks (space, tab, CR, LF).
inline std::string_view trim(std::string_view s) {
  constexpr std::string_view kBlank = " \t\r\n";
  size_t b = s.find_first_not_of(kBlank);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kBlank) - b + 1);
}

// The words joined by `sep`.
template <class Words>
std::string join(const Words& words, std::string_view sep = " ") {
  std::string out;
  bool first = true;
  for (const auto& w : words) {
    if (!first) out += sep;
    out += std::string_view(w);
    first = false;
  }
  return out;
}

}  // namespace kgrid
