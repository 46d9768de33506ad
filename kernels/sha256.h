// Streaming digests (OpenSSL EVP) with lower-case hex output: SHA-256 for
// packages, indexes and cache keys; MD5 only for a Debian package's own
// md5sums (md5sums.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

class Digest {
 public:
  enum Algorithm { kSha256, kMd5 };
  explicit Digest(Algorithm algorithm);
  void update(std::string_view data);
  std::string hex_digest();  // finishes the hash; call once ("" if OpenSSL failed)

 private:
  struct CtxFree {
    void operator()(void* ctx) const;
  };
  std::unique_ptr<void, CtxFree> ctx_;  // EVP_MD_CTX
  bool failed_ = false;
};

class Sha256 : public Digest {
 public:
  Sha256() : Digest(kSha256) {}
};

std::string sha256_hex(std::string_view data);
Result<std::string> sha256_file(const std::filesystem::path& path);
std::string md5_hex(std::string_view data);
Result<std::string> md5_file(const std::filesystem::path& path);

}  // namespace kgrid::kernels
