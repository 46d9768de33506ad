#include "packer/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>

namespace kgrid::packer {
namespace {

Error openssl_error(std::string_view what) {
  char buf[256] = "unknown error";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, buf, sizeof(buf));
  return make_error("sha256: " + std::string(what) + ": " + buf);
}

}  // namespace

Result<std::string> sha256_hex(std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx) return openssl_error("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return openssl_error("EVP_DigestInit_ex");
  }
  for (std::string_view part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) {
      return openssl_error("EVP_DigestUpdate");
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) return openssl_error("EVP_DigestFinal_ex");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace kgrid::packer
