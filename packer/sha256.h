// SHA-256 via OpenSSL's EVP interface, as lower-case hex.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::packer {

// Hashes the concatenation of `parts`.
Result<std::string> sha256_hex(std::initializer_list<std::string_view> parts);

}  // namespace kgrid::packer
