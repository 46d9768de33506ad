#include "sweep/kernel_set.h"

#include <algorithm>
#include <cstdio>
#include <future>
#include <map>
#include <set>
#include <system_error>

#include "kernels/debian/catalog.h"
#include "kernels/image/config.h"
#include "kernels/debian/debian.h"
#include "kernels/image/image.h"
#include "kernels/unpack/package_files.h"
#include "kernels/sha256.h"
#include "kernels/download/url_kernel.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

bool looks_like_image_name(const std::string& name) {
  return name.rfind("vmlinuz", 0) == 0 || name.rfind("bzImage", 0) == 0 || name == "Image" ||
         name.rfind("Image-", 0) == 0 || name.find(".bzImage") != std::string::npos;
}

ResolvedKernel from_fetched(const kernels::FetchedKernel& f, const kernels::KernelImage& image,
                            const std::string& source);

// A local .deb or RPM: unpacked into the cache once, like a pinned URL
// (keyed by the package's SHA-256), and named after the kernel's release.
Result<ResolvedKernel> from_package(const fs::path& path, const std::string& source) {
  auto sha = kernels::sha256_file(path);
  if (!sha) return sha.error();
  kernels::UrlRef ref{"file://" + fs::absolute(path).lexically_normal().string(), *sha};
  auto fetched = kernels::fetch_url_kernel(ref);
  if (!fetched) return make_error(path.string() + ": " + fetched.error().message);
  auto image = kernels::inspect_image(fetched->image);
  if (!image) return make_error(path.string() + ": " + image.error().message);
  ResolvedKernel k = from_fetched(*fetched, *image, source);
  k.id = "local-" + sanitize_id(image->release);
  return k;
}

Result<ResolvedKernel> from_file(const fs::path& path, const std::string& source) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return make_error(path.string() + ": no such file");
  if (fs::is_directory(path, ec)) return make_error(path.string() + ": is a directory");
  if (kernels::package_format(path) != kernels::PackageFormat::Unknown) return from_package(path, source);
  auto image = kernels::inspect_image(path);
  if (!image) return image.error();
  ResolvedKernel k;
  k.source = source;
  k.image = path;
  k.release = image->release;
  k.arch = image->arch;
  k.id = "local-" + sanitize_id(image->release);
  auto config = kernels::find_config(path, image->release);
  if (config) k.config = *config;
  return k;
}

Status add_dir(const fs::path& dir, std::vector<ResolvedKernel>& out) {
  std::error_code ec;
  std::vector<fs::path> candidates;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && looks_like_image_name(e.path().filename().string()))
      candidates.push_back(e.path());
  if (ec) return make_error(dir.string() + ": " + ec.message());
  if (candidates.empty())
    return make_error(dir.string() + ": no kernel images (files named vmlinuz*, bzImage*, Image*)");
  std::sort(candidates.begin(), candidates.end());
  for (const auto& p : candidates) {
    auto k = from_file(p, p.string());
    if (!k) return k.error();
    out.push_back(std::move(*k));
  }
  return ok_status();
}

ResolvedKernel from_fetched(const kernels::FetchedKernel& f, const kernels::KernelImage& image,
                            const std::string& source) {
  ResolvedKernel k;
  k.id = f.id;
  k.source = source;
  k.image = f.image;
  if (!f.config.empty()) k.config = f.config;
  k.release = image.release;
  k.arch = image.arch;
  return k;
}

// Every kernel a query selects, fetched a few at a time (downloads overlap
// with unpacking; the per-kernel locks keep parallel fetches apart).
Status add_query(const std::string& name, const ResolveOptions& options, std::vector<ResolvedKernel>& out) {
  auto query = kernels::parse_query(name);
  if (!query) return query.error();
  kernels::FetchOptions fo;
  fo.mirror = options.mirror;
  fo.log = [](const std::string& line) { std::fprintf(stderr, "kgrid: %s\n", line.c_str()); };
  std::vector<std::string> warnings;
  auto entries = kernels::load_catalog(*query, fo, &warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "kgrid: warning: %s\n", w.c_str());
  if (!entries) return make_error(name + ": " + entries.error().message);
  if (entries->empty()) return make_error(name + ": no kernel in the archive matches");
  uint64_t bytes = 0;
  for (const auto& e : *entries) bytes += e.size;
  std::fprintf(stderr, "kgrid: %s: %zu kernel(s), %.0f MB of packages unless cached\n", name.c_str(),
               entries->size(), static_cast<double>(bytes) / 1e6);
  constexpr size_t kParallel = 4;
  std::vector<std::future<Result<kernels::FetchedKernel>>> running;
  std::vector<Result<kernels::FetchedKernel>> fetched;
  size_t next = 0;
  while (next < entries->size() || !running.empty()) {
    while (next < entries->size() && running.size() < kParallel) {
      const kernels::CatalogEntry* e = &(*entries)[next++];
      running.push_back(std::async(std::launch::async, [e, fo] { return kernels::fetch_catalog_entry(*e, fo); }));
    }
    fetched.push_back(running.front().get());
    running.erase(running.begin());
  }
  for (size_t i = 0; i < fetched.size(); ++i) {
    const auto& e = (*entries)[i];
    if (!fetched[i]) return make_error(e.id + " (" + name + "): " + fetched[i].error().message);
    auto image = kernels::inspect_image(fetched[i]->image);
    if (!image) return make_error(e.id + ": " + image.error().message);
    out.push_back(from_fetched(*fetched[i], *image, e.selector()));
  }
  return ok_status();
}

Status add_url(const std::string& name, std::vector<ResolvedKernel>& out) {
  auto ref = kernels::parse_url_ref(name);
  if (!ref) return ref.error();
  auto fetched = kernels::fetch_url_kernel(*ref);
  if (!fetched) return make_error(name + ": " + fetched.error().message);
  auto image = kernels::inspect_image(fetched->image);
  if (!image) return make_error(name + ": " + image.error().message);
  out.push_back(from_fetched(*fetched, *image, name));
  return ok_status();
}

}  // namespace

std::string sanitize_id(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-' || c == '_' || c == '+';
    out += ok ? c : '_';
  }
  return out.empty() ? "kernel" : out;
}

Result<std::vector<ResolvedKernel>> resolve_kernels(const std::vector<std::string>& names,
                                                    const ResolveOptions& options) {
  std::vector<ResolvedKernel> out;
  for (const auto& name : names) {
    if (kernels::is_query(name)) {
      if (auto st = add_query(name, options, out); !st) return st.error();
      continue;
    }
    if (kernels::is_url(name)) {
      if (auto st = add_url(name, out); !st) return st.error();
      continue;
    }
    if (name.rfind("debian:", 0) == 0) {
      auto selector = kernels::parse_selector(name);
      if (!selector) return selector.error();
      kernels::FetchOptions fo;
      fo.mirror = options.mirror;
      auto fetched = kernels::fetch_debian(*selector, fo);
      if (!fetched) return make_error(name + ": " + fetched.error().message);
      auto image = kernels::inspect_image(fetched->image);
      if (!image) return make_error(name + ": " + image.error().message);
      ResolvedKernel k;
      k.id = fetched->id;
      k.source = name;
      k.image = fetched->image;
      k.config = fetched->config;
      k.release = image->release;
      k.arch = image->arch;
      out.push_back(std::move(k));
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(name, ec)) {
      auto st = add_dir(name, out);
      if (!st) return st.error();
      continue;
    }
    auto k = from_file(name, name);
    if (!k) return k.error();
    out.push_back(std::move(*k));
  }
  // A kernel that several selectors pick runs once.
  std::set<std::pair<std::string, std::string>> seen_images;
  out.erase(std::remove_if(out.begin(), out.end(),
                           [&](const ResolvedKernel& k) {
                             return k.id.starts_with("debian-") && !seen_images.insert({k.id, k.image.string()}).second;
                           }),
            out.end());
  // Ids must be unique: the same release twice gets -2, -3, ...
  std::map<std::string, int> seen;
  for (auto& k : out) {
    int n = ++seen[k.id];
    if (n > 1) k.id += "-" + std::to_string(n);
  }
  return out;
}

}  // namespace kgrid::host
