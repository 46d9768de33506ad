#include "kernels/download/http_stream.h"

#include "kernels/download/curl_easy.h"

namespace kgrid::kernels {

struct HttpStreamCallbacks {
  static size_t write(char* ptr, size_t size, size_t nmemb, void* user) {
    return static_cast<HttpStream*>(user)->on_data(ptr, size * nmemb);
  }
  static int progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<HttpStream*>(user)->should_stop() ? 1 : 0;
  }
};

HttpStream::HttpStream(std::string url, DownloadOptions options)
    : url_(std::move(url)), options_(std::move(options)), thread_([this] { run(); }) {}

HttpStream::~HttpStream() {
  abort();
  thread_.join();
}

void HttpStream::run() {
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::optional<std::string> error;
  curl::EasyPtr curl = curl::new_easy();
  if (!curl) {
    error = "curl_easy_init failed for " + url_;
  } else {
    CURL* c = curl.get();
    curl::set_common_options(c, url_, options_, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &HttpStreamCallbacks::write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
    // Lets abort() end a transfer that waits on a silent server.
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &HttpStreamCallbacks::progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = curl_easy_perform(c);
    std::lock_guard lock(mu_);
    if (rc != CURLE_OK && !aborted_ && !error_) error = curl::transfer_error(c, rc, url_, errbuf);
  }
  std::lock_guard lock(mu_);
  if (!error_) error_ = std::move(error);
  done_ = true;
  cv_.notify_all();
}

size_t HttpStream::on_data(const char* data, size_t n) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return aborted_ || discard_ || queued_bytes_ < kQueueBytes; });
  if (aborted_) return 0;  // curl fails with CURLE_WRITE_ERROR, which abort() expects
  if (options_.expected_size && received_ + n > *options_.expected_size) {
    error_ = "download " + url_ + ": more than the expected " + std::to_string(*options_.expected_size) + " bytes";
    return 0;
  }
  received_ += n;
  hash_.update(std::string_view(data, n));
  if (!discard_) {
    queue_.emplace_back(data, n);
    queued_bytes_ += n;
    cv_.notify_all();
  }
  return n;
}

bool HttpStream::should_stop() const {
  std::lock_guard lock(mu_);
  return aborted_;
}

Result<std::string_view> HttpStream::next() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (!queue_.empty()) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= current_.size();
    cv_.notify_all();
    return std::string_view(current_);
  }
  if (error_) return make_error(*error_);
  if (aborted_ || discard_) return make_error("download " + url_ + " was stopped");
  return std::string_view();
}

Result<Downloaded> HttpStream::finish() {
  std::unique_lock lock(mu_);
  discard_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  cv_.notify_all();
  cv_.wait(lock, [&] { return done_; });
  if (error_) return make_error(*error_);
  if (aborted_) return make_error("download " + url_ + " was stopped");
  Downloaded out;
  out.size = received_;
  out.sha256 = hash_.hex_digest();
  lock.unlock();
  Status st = check_download(url_, out, options_);
  if (!st) return st.error();
  return out;
}

void HttpStream::abort() {
  std::unique_lock lock(mu_);
  if (!done_) aborted_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  cv_.notify_all();
  cv_.wait(lock, [&] { return done_; });
}

uint64_t HttpStream::bytes_received() const {
  std::lock_guard lock(mu_);
  return received_;
}

}  // namespace kgrid::kernels
