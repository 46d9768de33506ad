// Streaming SHA-256 (OpenSSL EVP) with lower-case hex output.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::string hex_digest();  // finishes the hash; call once

 private:
  struct CtxFree {
    void operator()(void* ctx) const;
  };
  std::unique_ptr<void, CtxFree> ctx_;  // EVP_MD_CTX
  bool failed_ = false;
};

std::string sha256_hex(std::string_view data);
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace kgrid::kernels
