#include "kernels/debian/catalog.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "kernels/debian/version.h"

namespace kgrid::kernels {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> split_dash(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    size_t d = s.find('-');
    out.push_back(s.substr(0, d));
    if (d == std::string_view::npos) break;
    s.remove_prefix(d + 1);
  }
  return out;
}

// "5.10" < "6.1" < "6.12": numeric per component.
bool series_less(const std::string& a, const std::string& b) { return compare_debian_versions(a, b) < 0; }

int flavor_rank(const std::string& f) { return f == "generic" ? 0 : 1; }

}  // namespace

std::optional<AbiParts> parse_abi(std::string_view abi, std::string_view arch) {
  auto tokens = split_dash(abi);
  if (tokens.empty() || tokens[0].empty() || !is_digit(tokens[0][0])) return std::nullopt;
  // The upstream part: "6.1.0", "6.12.117+deb13", "7.3".
  std::string_view upstream = tokens[0].substr(0, tokens[0].find('+'));
  size_t dot1 = upstream.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  size_t dot2 = upstream.find('.', dot1 + 1);
  AbiParts p;
  p.series = std::string(upstream.substr(0, dot2));
  for (char c : p.series)
    if (!is_digit(c) && c != '.') return std::nullopt;
  size_t i = 1;
  if (i < tokens.size() && !tokens[i].empty() &&
      std::all_of(tokens[i].begin(), tokens[i].end(), is_digit))
    ++i;  // the ABI number of bullseye/bookworm: "6.1.0-50"
  bool saw_arch = false;
  std::string flavor;
  for (; i < tokens.size(); ++i) {
    if (tokens[i] == arch) {
      saw_arch = true;
      continue;
    }
    if (tokens[i] == "dbg" || tokens[i] == "unsigned" || tokens[i].empty()) return std::nullopt;
    flavor += (flavor.empty() ? "" : "-") + std::string(tokens[i]);
  }
  if (!saw_arch) return std::nullopt;
  p.flavor = flavor.empty() ? "generic" : flavor;
  return p;
}

std::string CatalogEntry::selector() const {
  return "debian:" + suite + "/" + package + (arch == "amd64" ? "" : "@" + arch);
}

std::vector<CatalogEntry> catalog_from_index(const PackageIndex& index, const std::string& suite,
                                             const std::string& arch) {
  std::vector<CatalogEntry> out;
  std::set<std::string> abis;
  constexpr std::string_view kPrefix = "linux-image-";
  for (const auto& [name, entry] : index) {
    if (!std::string_view(name).starts_with(kPrefix)) continue;
    std::string abi = name.substr(kPrefix.size());
    bool unsigned_pkg = abi.ends_with("-unsigned");
    if (unsigned_pkg) {
      abi.resize(abi.size() - 9);
      if (index.count(std::string(kPrefix) + abi)) continue;  // the signed one stands for it
    }
    auto parts = parse_abi(abi, arch);
    if (!parts || !abis.insert(abi).second) continue;
    auto r = resolve_kernel(index, name);
    if (!r || r->abi != abi) continue;
    CatalogEntry e;
    e.id = "debian-" + suite + "-" + abi;
    e.suite = suite;
    e.arch = arch;
    e.abi = abi;
    e.series = parts->series;
    e.flavor = parts->flavor;
    e.version = entry.version;
    e.package = name;
    e.size = r->image.size + (r->config.filename != r->image.filename ? r->config.size : 0);
    e.resolution = std::move(*r);
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const CatalogEntry& a, const CatalogEntry& b) {
    if (a.series != b.series) return series_less(a.series, b.series);
    if (a.flavor != b.flavor) {
      return std::make_tuple(flavor_rank(a.flavor), a.flavor) < std::make_tuple(flavor_rank(b.flavor), b.flavor);
    }
    int c = compare_debian_versions(a.version, b.version);
    return c != 0 ? c > 0 : a.abi > b.abi;
  });
  return out;
}

std::vector<CatalogEntry> filter_catalog(const std::vector<CatalogEntry>& entries, const KernelQuery& query) {
  auto allowed = [](const std::vector<std::string>& list, const std::string& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  const auto suites = query.suite_list();
  const auto arches = query.arch_list();
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::vector<const CatalogEntry*>> groups;
  for (const auto& e : entries) {
    if (!allowed(suites, e.suite) || !allowed(arches, e.arch) || !allowed(query.flavors, e.flavor) ||
        !allowed(query.series, e.series))
      continue;
    groups[{e.suite, e.arch, e.flavor, e.series}].push_back(&e);
  }
  std::set<const CatalogEntry*> keep;
  for (auto& [key, members] : groups) {
    std::stable_sort(members.begin(), members.end(), [](const CatalogEntry* a, const CatalogEntry* b) {
      return compare_debian_versions(a->version, b->version) > 0;
    });
    size_t n = query.newest ? std::min<size_t>(query.newest, members.size()) : members.size();
    keep.insert(members.begin(), members.begin() + static_cast<long>(n));
  }
  std::vector<CatalogEntry> out;
  for (const auto& e : entries)
    if (keep.count(&e)) out.push_back(e);
  return out;
}

Result<std::vector<CatalogEntry>> load_catalog(const KernelQuery& query, const FetchOptions& options,
                                               std::vector<std::string>* warnings) {
  auto access = archive_access(options);
  if (!access) return access.error();
  std::vector<CatalogEntry> all;
  for (const auto& suite : query.suite_list()) {
    for (const auto& arch : query.arch_list()) {
      auto index = load_suite_index(*access, suite, arch, is_kernel_package_name, warnings);
      if (!index) {
        // A suite the mirror does not carry (any more) is skipped only when
        // the query did not name it; a failed verification never is.
        const std::string& msg = index.error().message;
        const bool missing = msg.find("HTTP 404") != std::string::npos ||
                             msg.find("lists no main/binary-") != std::string::npos ||
                             msg.find("Couldn't open file") != std::string::npos;
        if (query.all_suites() && missing) {
          if (warnings) warnings->push_back("skipped " + suite + "/" + arch + ": " + msg);
          continue;
        }
        return make_error(suite + "/" + arch + ": " + msg);
      }
      auto entries = catalog_from_index(index->packages, suite, arch);
      all.insert(all.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
    }
  }
  return filter_catalog(all, query);
}

Result<KernelId> parse_kernel_id(std::string_view id) {
  const std::string orig(id);
  if (!id.starts_with("debian-")) {
    return make_error("\"" + orig + "\" is not a Debian kernel id (like debian-bookworm-6.1.0-50-amd64)");
  }
  id.remove_prefix(7);
  auto tokens = split_dash(id);
  KernelId k;
  size_t i = 0;
  for (; i < tokens.size() && !(tokens[i].size() && is_digit(tokens[i][0])); ++i)
    k.suite += (k.suite.empty() ? "" : "-") + std::string(tokens[i]);
  if (k.suite.empty() || i == tokens.size()) {
    return make_error("\"" + orig + "\" is not a Debian kernel id (like debian-bookworm-6.1.0-50-amd64)");
  }
  for (; i < tokens.size(); ++i) k.abi += (k.abi.empty() ? "" : "-") + std::string(tokens[i]);
  for (const char* arch : {"amd64", "arm64", "i386", "armhf", "ppc64el", "s390x", "riscv64", "loong64"}) {
    if (parse_abi(k.abi, arch)) {
      k.arch = arch;
      return k;
    }
  }
  return make_error("\"" + orig + "\": cannot tell the architecture of ABI " + k.abi);
}

}  // namespace kgrid::kernels
