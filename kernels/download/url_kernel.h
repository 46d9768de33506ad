// Kernels named by a URL pinned by its SHA-256:
//
//   https://host/path/bzImage#sha256=<64 hex>       (grid: url = "...", sha256 = "...")
//
// The file is downloaded once, checked against the pin (a mismatch caches
// nothing), and may be a kernel image, a .deb or an RPM; from a package the
// image and config are taken by path (see package_files.h). Result:
//
//   <cache>/kernels/url-<sha256[0:16]>/{vmlinuz,config,meta.json,last-used}
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "kernels/debian/debian.h"

namespace kgrid::kernels {

struct UrlRef {
  std::string url;     // without the fragment
  std::string sha256;  // lower-case hex
  std::string text() const { return url + "#sha256=" + sha256; }
};

// http://, https:// and file:// URLs.
bool is_url(std::string_view text);

// "<url>#sha256=<hex>"; the pin is required.
Result<UrlRef> parse_url_ref(std::string_view text);

// FetchedKernel.id is "url-<sha256[0:16]>"; suite and package are empty.
Result<FetchedKernel> fetch_url_kernel(const UrlRef& ref, const FetchOptions& options = {});

}  // namespace kgrid::kernels
