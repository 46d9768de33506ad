#include "kernels/download/curl_easy.h"

#include <mutex>

namespace kgrid::kernels::curl {

EasyPtr new_easy() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return EasyPtr(curl_easy_init());
}

void set_common_options(CURL* c, const std::string& url, const DownloadOptions& options, char* errbuf) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_bytes);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.low_speed_time_s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, options.total_timeout_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "kgrid/0.1");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

std::string transfer_error(CURL* c, CURLcode rc, const std::string& url, const char* errbuf) {
  long http_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http_code);
  if (rc == CURLE_HTTP_RETURNED_ERROR) return "download " + url + " failed: HTTP " + std::to_string(http_code);
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  std::string code = http_code ? " (HTTP " + std::to_string(http_code) + ")" : "";
  return "download " + url + " failed" + code + ": " + detail;
}

}  // namespace kgrid::kernels::curl
