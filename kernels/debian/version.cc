#include "kernels/debian/version.h"

#include <cctype>

namespace kgrid::kernels {
namespace {

struct Parts {
  unsigned long epoch = 0;
  std::string_view upstream, revision;
};

Parts split(std::string_view v) {
  Parts p;
  size_t colon = v.find(':');
  if (colon != std::string_view::npos) {
    for (char c : v.substr(0, colon))
      if (std::isdigit(static_cast<unsigned char>(c))) p.epoch = p.epoch * 10 + static_cast<unsigned long>(c - '0');
    v.remove_prefix(colon + 1);
  }
  size_t dash = v.rfind('-');
  p.upstream = v.substr(0, dash);
  if (dash != std::string_view::npos) p.revision = v.substr(dash + 1);
  return p;
}

// The weight of a non-digit character: "~" < end < letters < other symbols.
int weight(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == '~') return -1;
  if (std::isdigit(c)) return 0;
  if (std::isalpha(c)) return c;
  return c + 256;
}

int compare_part(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    // The non-digit run.
    while ((i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i]))) ||
           (j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j])))) {
      int wa = weight(a, i), wb = weight(b, j);
      if (wa != wb) return wa - wb;
      ++i;
      ++j;
    }
    // The digit run, compared as a number (leading zeros skipped).
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    int first_diff = 0;
    while (i < a.size() && std::isdigit(static_cast<unsigned char>(a[i])) && j < b.size() &&
           std::isdigit(static_cast<unsigned char>(b[j]))) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && std::isdigit(static_cast<unsigned char>(a[i]))) return 1;
    if (j < b.size() && std::isdigit(static_cast<unsigned char>(b[j]))) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

}  // namespace

int compare_debian_versions(std::string_view a, std::string_view b) {
  Parts pa = split(a), pb = split(b);
  if (pa.epoch != pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  if (int c = compare_part(pa.upstream, pb.upstream)) return c;
  return compare_part(pa.revision, pb.revision);
}

}  // namespace kgrid::kernels
