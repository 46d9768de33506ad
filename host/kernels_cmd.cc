#include "host/kernels_cmd.h"

#include <cstdio>
#include <fmt/format.h>

#include "kernels/config.h"
#include "kernels/debian.h"
#include "kernels/image.h"

namespace kgrid::host {

int kernels_fetch(const KernelsOptions& options) {
  int status = 0;
  for (const auto& name : options.selectors) {
    auto selector = kernels::parse_selector(name);
    if (!selector) {
      std::fprintf(stderr, "kgrid: error: %s\n", selector.error().message.c_str());
      status = 2;
      continue;
    }
    kernels::FetchOptions fo;
    fo.mirror = options.mirror;
    auto fetched = kernels::fetch_debian(*selector, fo);
    if (!fetched) {
      std::fprintf(stderr, "kgrid: error: %s: %s\n", name.c_str(), fetched.error().message.c_str());
      status = 1;
      continue;
    }
    std::printf("%s\n  image:  %s\n  config: %s\n", fetched->id.c_str(), fetched->image.c_str(),
                fetched->config.c_str());
  }
  return status;
}

int kernels_inspect(const KernelsOptions& options) {
  int status = 0;
  for (const auto& file : options.files) {
    auto image = kernels::inspect_image(file);
    if (!image) {
      std::fprintf(stderr, "kgrid: error: %s\n", image.error().message.c_str());
      status = 1;
      continue;
    }
    std::printf("%s\n  arch:        %s\n  format:      %s\n  release:     %s\n  version:     %s\n  compression: %s\n",
                file.c_str(), image->arch.c_str(), image->format.c_str(), image->release.c_str(),
                image->version.c_str(), image->compression.c_str());
    auto config = kernels::find_config(file, image->release);
    std::printf("  config:      %s\n", config ? config->c_str() : "not found beside the image");
  }
  return status;
}

}  // namespace kgrid::host
