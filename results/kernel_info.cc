#include "results/kernel_info.h"

#include <cctype>
#include <vector>

namespace kgrid::results {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::string derive_distro(std::string_view source, std::string_view id) {
  size_t colon = source.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view scheme = source.substr(0, colon);
    bool word = true;
    for (char c : scheme) word = word && std::isalpha(static_cast<unsigned char>(c));
    if (word) return std::string(scheme);
  }
  size_t dash = id.find('-');
  std::string_view first = id.substr(0, dash);
  if (!first.empty() && std::isalpha(static_cast<unsigned char>(first[0]))) return std::string(first);
  return "local";
}

std::string derive_series(std::string_view release) {
  // The upstream part ends at the first '-' or '+'.
  size_t end = release.find_first_of("-+");
  auto numbers = split(release.substr(0, end), '.');
  if (numbers.size() < 2 || !all_digits(numbers[0])) return "";
  std::string_view minor = numbers[1];
  size_t digits = 0;
  while (digits < minor.size() && std::isdigit(static_cast<unsigned char>(minor[digits]))) ++digits;
  if (digits == 0) return "";
  return std::string(numbers[0]) + "." + std::string(minor.substr(0, digits));
}

std::string derive_flavor(std::string_view release) {
  auto parts = split(release, '-');
  if (parts.size() < 2) return "";
  size_t first = all_digits(parts[1]) ? 2 : 1;  // skip the Debian ABI number (6.1.0-50-amd64)
  std::string flavor;
  for (size_t i = first; i < parts.size(); ++i) {
    if (!flavor.empty()) flavor += "-";
    flavor += parts[i];
  }
  return flavor;
}

KernelResult with_derived_fields(KernelResult k) {
  if (k.distro.empty()) k.distro = derive_distro(k.source, k.id);
  if (k.series.empty()) k.series = derive_series(k.version);
  if (k.flavor.empty()) k.flavor = derive_flavor(k.version);
  return k;
}

std::string series_label(const KernelResult& k) {
  std::string distro = k.distro.empty() ? derive_distro(k.source, k.id) : k.distro;
  std::string series = k.series.empty() ? derive_series(k.version) : k.series;
  return distro + " " + (series.empty() ? "?" : series);
}

bool natural_less(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i]));
    bool db = std::isdigit(static_cast<unsigned char>(b[j]));
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      // Compare as numbers: strip leading zeros, then length, then digits.
      std::string_view na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace kgrid::results
