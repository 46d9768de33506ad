#include "kernels/download/http.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "kernels/cache.h"
#include "kernels/download/curl_easy.h"
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

}  // namespace

Result<Downloaded> download(const std::string& url, const std::filesystem::path& dest,
                            const DownloadOptions& options) {
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
  curl::EasyPtr curl = curl::new_easy();  // goes before errbuf and sink
  if (!curl) return make_error("curl_easy_init failed for " + url);
  CURL* c = curl.get();
  curl::set_common_options(c, url, options, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    if (rc == CURLE_WRITE_ERROR && sink.write_errno) {
      errno = sink.write_errno;
      return errno_error("download " + url + " failed: cannot write", tmp.path());
    }
    return make_error(curl::transfer_error(c, rc, url, errbuf));
  }
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync", tmp.path());
  fd.reset();

  Downloaded out;
  out.size = sink.size;
  out.sha256 = sink.hash.hex_digest();
  Status st = check_download(url, out, options);
  if (!st) return st.error();
  if (::rename(tmp.path().c_str(), dest.c_str()) != 0) return errno_error("cannot rename to", dest);
  tmp.release();
  return out;
}

Status check_download(const std::string& url, const Downloaded& got, const DownloadOptions& options) {
  if (options.expected_size && got.size != *options.expected_size) {
    return make_error("download " + url + ": got " + std::to_string(got.size) + " bytes, expected " +
                      std::to_string(*options.expected_size));
  }
  if (options.expected_sha256 && got.sha256 != *options.expected_sha256) {
    return make_error("download " + url + ": SHA-256 mismatch: got " + got.sha256 + ", expected " +
                      *options.expected_sha256);
  }
  return ok_status();
}

}  // namespace kgrid::kernels
