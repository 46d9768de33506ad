// The guest-to-host console protocol, version 1 (see docs/design.md).
// Shared by the guest (encode) and the host (decode) so both agree.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kgrid::protocol {

inline constexpr std::string_view kMagic = "KGRID1|";
inline constexpr int kVersion = 1;

// IEEE CRC-32 (the zlib polynomial), no dependency on zlib.
uint32_t crc32(std::string_view data);

std::string percent_encode(std::string_view value);
std::optional<std::string> percent_decode(std::string_view value);

struct Record {
  std::string nonce;
  uint64_t seq = 0;
  std::string type;
  std::map<std::string, std::string> fields;  // decoded values

  std::string get(const std::string& key, const std::string& fallback = "") const;
};

// One framed line, with the trailing '\n'.
std::string encode(const Record& record);

enum class DecodeStatus { NotARecord, BadCrc, Malformed, WrongNonce, Ok };

struct Decoded {
  DecodeStatus status = DecodeStatus::NotARecord;
  Record record;
};

// Finds a record anywhere in one console line (without or with its '\n'/'\r')
// and checks it. `nonce` empty means accept any nonce.
Decoded decode_line(std::string_view line, std::string_view nonce);

// Reads `kgrid.nonce=` from a kernel command line; empty if absent.
std::string nonce_from_cmdline(std::string_view cmdline);

}  // namespace kgrid::protocol
