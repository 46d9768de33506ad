#include "kernels/debian_index.h"

#include <nlohmann/json.hpp>

#include "kernels/cache.h"
#include "kernels/http.h"
#include "kernels/sha256.h"
#include "kernels/xz.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json deb_to_json(const DebFile& d) {
  return {{"package", d.package}, {"version", d.version}, {"filename", d.filename},
          {"size", d.size},       {"sha256", d.sha256},   {"path_in_deb", d.path_in_deb}};
}

DebFile deb_from_json(const json& j) {
  DebFile d;
  d.package = j.at("package").get<std::string>();
  d.version = j.at("version").get<std::string>();
  d.filename = j.at("filename").get<std::string>();
  d.size = j.at("size").get<uint64_t>();
  d.sha256 = j.at("sha256").get<std::string>();
  d.path_in_deb = j.at("path_in_deb").get<std::string>();
  return d;
}

}  // namespace

std::string IndexLocation::url() const {
  return mirror + "/dists/" + suite + "/main/binary-" + arch + "/Packages.xz";
}

fs::path IndexLocation::resolution_path(std::string_view package) const {
  return dir / "resolved" / (std::string(package) + ".json");
}

Status verify_index_signature(const IndexLocation&, const fs::path&) { return ok_status(); }

Result<CachedIndex> ensure_index(const IndexLocation& loc, std::chrono::seconds max_age) {
  CachedIndex out;
  out.xz = loc.xz_path();
  std::error_code ec;
  const bool have = fs::is_regular_file(out.xz, ec);
  bool fresh = false;
  if (have) {
    auto mtime = fs::last_write_time(out.xz, ec);
    fresh = !ec && fs::file_time_type::clock::now() - mtime < max_age;
  }
  if (!fresh) {
    auto d = download(loc.url(), out.xz);
    if (d) {
      Status sig = verify_index_signature(loc, out.xz);
      if (!sig) return sig.error();
      out.downloaded = true;
      out.sha256 = d->sha256;
      return out;
    }
    if (!have) return d.error();
    out.warning = "could not refresh the Packages index, using the cached one: " + d.error().message;
  }
  auto sha = sha256_file(out.xz);
  if (!sha) return sha.error();
  out.sha256 = *sha;
  return out;
}

Result<PackageIndex> load_kernel_packages(const fs::path& xz) {
  PackageIndex index;
  PackagesParser parser([&](PackageEntry&& e) { index[e.name] = std::move(e); },
                        is_kernel_package_name);
  Status st = xz_decompress_file(xz, [&](std::string_view chunk) { parser.feed(chunk); });
  if (!st) return st.error();
  parser.finish();
  if (index.empty()) return make_error(xz.string() + ": no kernel packages in this index");
  return index;
}

Status save_resolution(const fs::path& path, const CachedResolution& c) {
  const KernelResolution& r = c.resolution;
  json j = {{"index_sha256", c.index_sha256}, {"package", r.package}, {"version", r.version},
            {"abi", r.abi},                   {"layout", r.layout},   {"image", deb_to_json(r.image)},
            {"config", deb_to_json(r.config)}};
  return write_file_atomic(path, j.dump(2) + "\n");
}

Result<std::optional<CachedResolution>> load_resolution(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<CachedResolution>();
  auto text = read_file(path);
  if (!text) return text.error();
  try {
    json j = json::parse(*text);
    CachedResolution c;
    c.index_sha256 = j.at("index_sha256").get<std::string>();
    c.resolution.package = j.at("package").get<std::string>();
    c.resolution.version = j.at("version").get<std::string>();
    c.resolution.abi = j.at("abi").get<std::string>();
    c.resolution.layout = j.at("layout").get<std::string>();
    c.resolution.image = deb_from_json(j.at("image"));
    c.resolution.config = deb_from_json(j.at("config"));
    return std::optional<CachedResolution>(std::move(c));
  } catch (const json::exception& e) {
    return make_error(path.string() + ": damaged resolution cache: " + e.what());
  }
}

}  // namespace kgrid::kernels
