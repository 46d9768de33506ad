// The libcurl setup kgrid's downloads share (http.cc writes to a file,
// http_stream.cc hands the bytes to a reader): one global init, an owning
// easy handle, the common options (redirects, timeouts, errors on HTTP
// status >= 400) and the error text a failed transfer gets.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

#include "kernels/download/http.h"

namespace kgrid::kernels::curl {

struct EasyFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using EasyPtr = std::unique_ptr<CURL, EasyFree>;

// curl_global_init once per process; then a new easy handle (null on failure).
EasyPtr new_easy();

// Sets URL, redirects, timeouts, user agent and `errbuf` (CURL_ERROR_SIZE
// bytes, which must outlive the transfer) from `options`.
void set_common_options(CURL* c, const std::string& url, const DownloadOptions& options, char* errbuf);

// "download <url> failed: HTTP 404", "... failed (HTTP 200): <curl's words>".
std::string transfer_error(CURL* c, CURLcode rc, const std::string& url, const char* errbuf);

}  // namespace kgrid::kernels::curl
