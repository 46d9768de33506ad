#include "host/kernel_set.h"

#include <algorithm>
#include <map>
#include <system_error>

#include "kernels/config.h"
#include "kernels/debian.h"
#include "kernels/image.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

bool looks_like_image_name(const std::string& name) {
  return name.rfind("vmlinuz", 0) == 0 || name.rfind("bzImage", 0) == 0 || name == "Image" ||
         name.rfind("Image-", 0) == 0 || name.find(".bzImage") != std::string::npos;
}

Result<ResolvedKernel> from_file(const fs::path& path, const std::string& source) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return make_error(path.string() + ": no such file");
  if (fs::is_directory(path, ec)) return make_error(path.string() + ": is a directory");
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
  // Ids must be unique: the same release twice gets -2, -3, ...
  std::map<std::string, int> seen;
  for (auto& k : out) {
    int n = ++seen[k.id];
    if (n > 1) k.id += "-" + std::to_string(n);
  }
  return out;
}

}  // namespace kgrid::host
