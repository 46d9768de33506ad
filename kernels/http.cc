#include "kernels/http.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "kernels/cache.h"
#include "kernels/sha256.h"

namespace kgrid::kernels {
namespace {

struct Sink {
  int fd = -1;
  Sha256 hash;
  uint64_t size = 0;
  int write_errno = 0;
};

size_t on_data(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * nmemb;
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(sink->fd, ptr + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      sink->write_errno = errno;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(w);
  }
  sink->hash.update(std::string_view(ptr, n));
  sink->size += n;
  return n;
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Result<Downloaded> download(const std::string& url, const std::filesystem::path& dest,
                            const DownloadOptions& options) {
  global_init();
  if (dest.has_parent_path()) {
    Status st = make_dirs(dest.parent_path());
    if (!st) return st.error();
  }
  TempPath tmp(temp_path_for(dest));
  UniqueFd fd(::open(tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error("cannot create", tmp.path());

  Sink sink;
  sink.fd = fd.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());  // goes before errbuf and sink
  if (!curl) return make_error("curl_easy_init failed for " + url);
  CURL* c = curl.get();
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
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

  CURLcode rc = curl_easy_perform(c);
  long http_code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http_code);
  if (rc != CURLE_OK) {
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
      return make_error("download " + url + " failed: HTTP " + std::to_string(http_code));
    }
    if (rc == CURLE_WRITE_ERROR && sink.write_errno) {
      errno = sink.write_errno;
      return errno_error("download " + url + " failed: cannot write", tmp.path());
    }
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    std::string code = http_code ? " (HTTP " + std::to_string(http_code) + ")" : "";
    return make_error("download " + url + " failed" + code + ": " + detail);
  }
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", tmp.path());
  fd.reset();

  Downloaded out;
  out.size = sink.size;
  out.sha256 = sink.hash.hex_digest();
  if (options.expected_size && out.size != *options.expected_size) {
    return make_error("download " + url + ": got " + std::to_string(out.size) +
                      " bytes, expected " + std::to_string(*options.expected_size));
  }
  if (options.expected_sha256 && out.sha256 != *options.expected_sha256) {
    return make_error("download " + url + ": SHA-256 mismatch: got " + out.sha256 +
                      ", expected " + *options.expected_sha256);
  }
  if (::rename(tmp.path().c_str(), dest.c_str()) != 0) return errno_error("cannot rename to", dest);
  tmp.release();
  return out;
}

}  // namespace kgrid::kernels
