#include "kernels/download/url_kernel.h"

#include <nlohmann/json.hpp>

#include "kernels/cache.h"
#include "kernels/download/http.h"
#include "kernels/image/image.h"
#include "kernels/unpack/package_files.h"
#include "kernels/sha256.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string debian_arch(const std::string& kernel_arch) { return kernel_arch == "x86_64" ? "amd64" : kernel_arch; }

// The cached result when it is intact.
bool cached_ok(const fs::path& dir, const UrlRef& ref) {
  auto text = read_file(dir / "meta.json");
  if (!text) return false;
  json meta = json::parse(*text, nullptr, false);
  if (!meta.is_object() || meta.value("source_sha256", "") != ref.sha256) return false;
  auto image = sha256_file(dir / "vmlinuz");
  if (!image || *image != meta.value("sha256", "")) return false;
  if (meta.contains("config_sha256")) {
    auto config = sha256_file(dir / "config");
    if (!config || *config != meta.value("config_sha256", "")) return false;
  }
  return true;
}

}  // namespace

bool is_url(std::string_view text) {
  return text.starts_with("http://") || text.starts_with("https://") || text.starts_with("file://");
}

Result<UrlRef> parse_url_ref(std::string_view text) {
  const std::string orig(text);
  if (!is_url(text)) return make_error("\"" + orig + "\" is not an http(s) or file URL");
  size_t hash = text.find('#');
  if (hash == std::string_view::npos) {
    return make_error(orig + ": a kernel URL must be pinned: append #sha256=<64 hex digits> "
                      "(grid files: sha256 = \"...\")");
  }
  std::string_view frag = text.substr(hash + 1);
  if (!frag.starts_with("sha256=") || !is_hex64(frag.substr(7))) {
    return make_error(orig + ": the pin must be #sha256=<64 lower-case hex digits>");
  }
  return UrlRef{std::string(text.substr(0, hash)), std::string(frag.substr(7))};
}

Result<FetchedKernel> fetch_url_kernel(const UrlRef& ref, const FetchOptions& options) {
  auto access = archive_access([&] {
    FetchOptions o = options;
    o.offline = true;  // no Debian mirror needed; only the cache directory
    return o;
  }());
  if (!access) return access.error();
  const bool offline = options.offline || offline_from_env();
  const fs::path& root = access->root;
  FetchedKernel out;
  out.id = "url-" + ref.sha256.substr(0, 16);
  const fs::path dir = root / "kernels" / out.id;
  auto lock = FileLock::acquire(root / "locks" / (out.id + ".lock"));
  if (!lock) return lock.error();

  if (!cached_ok(dir, ref)) {
    if (offline) return make_error(ref.text() + ": offline (KGRID_OFFLINE) and not in " + dir.string());
    TempPath work(temp_path_for(root / "kernels" / ("." + out.id)));
    Status st = make_dirs(work.path());
    if (!st) return st.error();
    TempPath download_file(temp_path_for(root / "downloads" / out.id));
    DownloadOptions dl;
    dl.expected_sha256 = ref.sha256;
    access->say("downloading " + ref.url);
    auto got = download(ref.url, download_file.path(), dl);
    if (!got) return got.error();

    std::string kind = "image", inner;
    if (package_format(download_file.path()) != PackageFormat::Unknown) {
      auto files = extract_kernel_files(download_file.path(), work.path());
      if (!files) return files.error();
      kind = package_format(download_file.path()) == PackageFormat::Deb ? "deb" : "rpm";
      inner = files->image_path_in_package;
    } else {
      std::error_code ec;
      fs::rename(download_file.path(), work.path() / "vmlinuz", ec);
      if (ec) return make_error("cannot move " + download_file.path().string() + ": " + ec.message());
      download_file.release();
    }
    auto img = inspect_image(work.path() / "vmlinuz");
    if (!img) return make_error(ref.text() + ": not a kernel: " + img.error().message);
    auto image_sha = sha256_file(work.path() / "vmlinuz");
    if (!image_sha) return image_sha.error();
    json meta = {{"url", ref.url},      {"source_sha256", ref.sha256}, {"kind", kind},
                 {"path_in_package", inner}, {"release", img->release}, {"arch", img->arch},
                 {"sha256", *image_sha}};
    std::error_code ec;
    if (fs::exists(work.path() / "config", ec)) {
      auto config_sha = sha256_file(work.path() / "config");
      if (!config_sha) return config_sha.error();
      meta["config_sha256"] = *config_sha;
    }
    st = write_file_atomic(work.path() / "meta.json", meta.dump(2) + "\n");
    if (!st) return st.error();
    fs::remove_all(dir, ec);
    fs::rename(work.path(), dir, ec);
    if (ec) return make_error("cannot move the kernel into " + dir.string() + ": " + ec.message());
    work.release();
  } else {
    out.from_cache = true;
  }
  touch_last_used(dir);
  auto img = inspect_image(dir / "vmlinuz");
  if (!img) return img.error();
  out.image = dir / "vmlinuz";
  std::error_code ec;
  if (fs::exists(dir / "config", ec)) out.config = dir / "config";
  out.release = img->release;
  out.arch = debian_arch(img->arch);
  out.version = img->release;
  return out;
}

}  // namespace kgrid::kernels
