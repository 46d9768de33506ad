// A download read as a stream, for unpacking while it comes in: libcurl
// runs the transfer on a thread of its own and hands its bytes over a
// bounded queue to the reader, hashing (SHA-256) and counting every byte it
// receives. The reader takes chunks with next() until it has what it
// wants, then either finish()es the transfer (the rest is received and
// hashed but not queued: the size and SHA-256 of the whole are checked
// against the DownloadOptions) or abort()s it (nothing more comes down).
// Nothing is written to disk. The destructor aborts a transfer still
// running and joins the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "kernels/download/http.h"
#include "kernels/sha256.h"

namespace kgrid::kernels {

class HttpStream {
 public:
  // Starts the transfer. With options.expected_size, receiving more bytes
  // than that is an error at once.
  HttpStream(std::string url, DownloadOptions options = {});
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  // The next chunk, valid until the next call; empty at the end of the
  // transfer. A transfer that failed is an error naming the URL.
  Result<std::string_view> next();

  // Receives the rest without queueing it, waits for the end, and checks
  // size and SHA-256 (see check_download).
  Result<Downloaded> finish();

  // Stops the transfer now and waits until it has stopped.
  void abort();

  // Bytes received from the server so far (all of them once finished).
  uint64_t bytes_received() const;
  const std::string& url() const { return url_; }

 private:
  void run();
  size_t on_data(const char* data, size_t n);
  bool should_stop() const;  // for curl's progress callback
  friend struct HttpStreamCallbacks;

  const std::string url_;
  const DownloadOptions options_;
  static constexpr size_t kQueueBytes = 512 << 10;  // what may be received ahead of the reader

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;        // guarded by mu_
  bool discard_ = false;           // guarded by mu_: finish() called
  bool aborted_ = false;           // guarded by mu_
  bool done_ = false;              // guarded by mu_: the transfer has ended
  std::optional<std::string> error_;  // guarded by mu_: set when done_ and failed
  uint64_t received_ = 0;          // guarded by mu_
  Sha256 hash_;                    // the transfer thread's until done_
  std::string current_;            // the reader's: the chunk next() returned
  std::thread thread_;             // last: starts after everything above exists
};

}  // namespace kgrid::kernels
