#include "kernels/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>

#include "kernels/cache.h"

namespace kgrid::kernels {

void Digest::CtxFree::operator()(void* ctx) const {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx));
}

Digest::Digest(Algorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = algorithm == kMd5 ? EVP_md5() : EVP_sha256();
  failed_ = !ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), md, nullptr) != 1;
}

void Digest::update(std::string_view data) {
  if (failed_ || data.empty()) return;
  failed_ = EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_.get()), data.data(), data.size()) != 1;
}

std::string Digest::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // An empty digest never equals an expected one, so a failure in OpenSSL
  // shows up as a mismatch rather than as a wrong "verified".
  if (failed_ || EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), md, &len) != 1) return "";
  failed_ = true;  // finished
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

namespace {

std::string hex_of(Digest::Algorithm algorithm, std::string_view data) {
  Digest h(algorithm);
  h.update(data);
  return h.hex_digest();
}

Result<std::string> file_digest(Digest::Algorithm algorithm, const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", path);
  Digest h(algorithm);
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot read", path);
    if (n == 0) break;
    h.update(std::string_view(buf, static_cast<size_t>(n)));
  }
  std::string d = h.hex_digest();
  if (d.empty()) return make_error("digest failed (OpenSSL) for " + path.string());
  return d;
}

}  // namespace

std::string sha256_hex(std::string_view data) { return hex_of(Digest::kSha256, data); }
Result<std::string> sha256_file(const std::filesystem::path& path) { return file_digest(Digest::kSha256, path); }
std::string md5_hex(std::string_view data) { return hex_of(Digest::kMd5, data); }
Result<std::string> md5_file(const std::filesystem::path& path) { return file_digest(Digest::kMd5, path); }

}  // namespace kgrid::kernels
