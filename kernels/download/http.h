// Downloads with libcurl into a file, hashing (SHA-256) while writing. The
// data goes to a temporary file beside the destination and is renamed into
// place only when the transfer is complete and verified, so an interrupted
// or rejected download never leaves a partial file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"

namespace kgrid::kernels {

struct DownloadOptions {
  long connect_timeout_s = 30;
  // Abort when slower than low_speed_bytes per second for low_speed_time_s.
  long low_speed_bytes = 1024;
  long low_speed_time_s = 60;
  long total_timeout_s = 0;  // 0: no limit on the whole transfer
  std::optional<std::string> expected_sha256;  // lower-case hex
  std::optional<uint64_t> expected_size;
};

struct Downloaded {
  uint64_t size = 0;
  std::string sha256;
};

// Errors name the URL and, for HTTP errors, the status code.
Result<Downloaded> download(const std::string& url, const std::filesystem::path& dest,
                            const DownloadOptions& options = {});

// The size and SHA-256 of a finished download against those `options`
// expect: "download <url>: SHA-256 mismatch: got <hex>, expected <hex>".
Status check_download(const std::string& url, const Downloaded& got, const DownloadOptions& options);

}  // namespace kgrid::kernels
