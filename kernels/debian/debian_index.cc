#include "kernels/debian/debian_index.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "kernels/cache.h"
#include "kernels/download/http.h"
#include "kernels/debian/release.h"
#include "kernels/sha256.h"
#include "kernels/debian/signature.h"
#include "kernels/unpack/xz.h"

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

std::string IndexLocation::inrelease_url() const { return mirror + "/dists/" + suite + "/InRelease"; }

std::string IndexLocation::index_name() const { return "main/binary-" + arch + "/Packages.xz"; }

std::string IndexLocation::url() const { return mirror + "/dists/" + suite + "/" + index_name(); }

std::string IndexLocation::by_hash_url(std::string_view sha256) const {
  return mirror + "/dists/" + suite + "/main/binary-" + arch + "/by-hash/SHA256/" + std::string(sha256);
}

fs::path IndexLocation::resolution_path(std::string_view package) const {
  return dir / "resolved" / (std::string(package) + ".json");
}

namespace {

std::string utc(std::time_t t) {
  char buf[40];
  struct tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// The signed Release text of `inrelease`, checked to be this suite's.
Result<Release> verified_release(const IndexLocation& loc, const fs::path& inrelease, const fs::path& keyring,
                                 std::vector<std::string>* warnings) {
  auto text = verify_clearsigned(inrelease, keyring);
  if (!text) return make_error(loc.suite + ": " + text.error().message);
  auto rel = parse_release(*text);
  if (!rel) return make_error(loc.suite + ": InRelease: " + rel.error().message);
  // A validly signed InRelease of another suite must not stand in for this one.
  if (rel->codename != loc.suite && rel->suite != loc.suite) {
    return make_error(loc.suite + ": the mirror's InRelease is signed but belongs to suite \"" + rel->suite +
                      "\" (codename \"" + rel->codename + "\")");
  }
  if (rel->valid_until && *rel->valid_until < std::time(nullptr) && warnings) {
    warnings->push_back(loc.suite + ": the signed InRelease expired on " + utc(*rel->valid_until) +
                        " (the mirror is not updated any more; its contents are still verified)");
  }
  return rel;
}

Result<ReleaseFile> listed_index(const IndexLocation& loc, const Release& rel) {
  auto it = rel.sha256.find(loc.index_name());
  if (it == rel.sha256.end()) {
    return make_error(loc.suite + ": the signed InRelease lists no " + loc.index_name() +
                      " (is " + loc.arch + " an architecture of this suite?)");
  }
  return it->second;
}

}  // namespace

Result<std::string> verify_index_signature(const IndexLocation& loc, const fs::path& inrelease, const fs::path& xz,
                                           const fs::path& keyring, std::vector<std::string>* warnings) {
  auto rel = verified_release(loc, inrelease, keyring, warnings);
  if (!rel) return rel.error();
  auto want = listed_index(loc, *rel);
  if (!want) return want.error();
  auto sha = sha256_file(xz);
  if (!sha) return sha.error();
  if (*sha != want->sha256) {
    return make_error(loc.suite + ": " + xz.string() + " does not match the signed InRelease: SHA-256 " + *sha +
                      ", expected " + want->sha256);
  }
  return *sha;
}

Result<CachedIndex> ensure_index(const IndexLocation& loc, const IndexPolicy& policy) {
  CachedIndex out;
  out.xz = loc.xz_path();
  const fs::path keyring = archive_keyring(policy.keyring);
  std::error_code ec;
  const bool have = fs::is_regular_file(loc.inrelease_path(), ec) && fs::is_regular_file(out.xz, ec);
  auto use_cached = [&]() -> Result<CachedIndex> {
    auto sha = verify_index_signature(loc, loc.inrelease_path(), out.xz, keyring, &out.warnings);
    if (!sha) return sha.error();
    out.sha256 = *sha;
    return out;
  };
  if (policy.offline) {
    if (!have) {
      return make_error(loc.suite + "/" + loc.arch + ": offline (KGRID_OFFLINE) and no cached index in " +
                        loc.dir.string() + "; run once with network access");
    }
    return use_cached();
  }
  if (have) {
    auto mtime = fs::last_write_time(loc.inrelease_path(), ec);
    if (!ec && fs::file_time_type::clock::now() - mtime < policy.max_age) {
      auto cached = use_cached();
      if (cached) return cached;
      out.warnings.clear();  // damaged: fetch it again below
    }
  }

  // Refresh: the new InRelease stays a temporary file until everything checks.
  Status st = make_dirs(loc.dir);
  if (!st) return st.error();
  TempPath fresh(temp_path_for(loc.inrelease_path()));
  auto got = download(loc.inrelease_url(), fresh.path());
  if (!got) {
    if (!have) return got.error();
    auto cached = use_cached();
    if (!cached) return make_error(got.error().message + "; and the cached index: " + cached.error().message);
    cached->warnings.push_back("could not refresh the index of " + loc.suite + "/" + loc.arch +
                               ", using the cached one: " + got.error().message);
    return cached;
  }
  auto rel = verified_release(loc, fresh.path(), keyring, &out.warnings);
  if (!rel) return rel.error();
  auto want = listed_index(loc, *rel);
  if (!want) return want.error();

  auto current = fs::is_regular_file(out.xz, ec) ? sha256_file(out.xz) : Result<std::string>(make_error(""));
  if (!current || *current != want->sha256) {
    DownloadOptions dl;
    dl.expected_sha256 = want->sha256;
    dl.expected_size = want->size;
    Result<Downloaded> d = make_error("");
    if (rel->acquire_by_hash) d = download(loc.by_hash_url(want->sha256), out.xz, dl);
    if (!d) {
      auto plain = download(loc.url(), out.xz, dl);
      if (!plain) {
        return make_error(loc.suite + "/" + loc.arch + ": " + plain.error().message +
                          (rel->acquire_by_hash ? " (and by hash: " + d.error().message + ")" : ""));
      }
    }
    out.downloaded = true;
  }
  if (::rename(fresh.path().c_str(), loc.inrelease_path().c_str()) != 0) {
    return errno_error("cannot rename to", loc.inrelease_path());
  }
  fresh.release();
  out.sha256 = want->sha256;
  return out;
}

Result<PackageIndex> load_packages(const fs::path& xz, const PackagesParser::Keep& keep) {
  PackageIndex index;
  PackagesParser parser([&](PackageEntry&& e) { index[e.name] = std::move(e); }, keep);
  Status st = xz_decompress_file(xz, [&](std::string_view chunk) { parser.feed(chunk); });
  if (!st) return st.error();
  parser.finish();
  return index;
}

Result<PackageIndex> load_kernel_packages(const fs::path& xz) {
  auto index = load_packages(xz, is_kernel_package_name);
  if (!index) return index.error();
  if (index->empty()) return make_error(xz.string() + ": no kernel packages in this index");
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
