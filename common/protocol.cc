#include "common/protocol.h"

#include <array>
#include <charconv>
#include <cstdio>

namespace kgrid::protocol {
namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

bool is_plain(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '.': case '_': case ',': case ':': case '/': case '+': case '@': case '=': case '-':
      return true;
    default:
      return false;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  return true;
}

bool valid_type(std::string_view type) {
  if (type.empty()) return false;
  for (char c : type)
    if (!((c >= 'A' && c <= 'Z') || c == '_')) return false;
  return true;
}

// Splits on '|' into exactly n parts; false if the count differs.
template <size_t N>
bool split_bars(std::string_view s, std::array<std::string_view, N>& out) {
  size_t i = 0;
  while (i + 1 < N) {
    size_t bar = s.find('|');
    if (bar == std::string_view::npos) return false;
    out[i++] = s.substr(0, bar);
    s.remove_prefix(bar + 1);
  }
  if (s.find('|') != std::string_view::npos) return false;
  out[i] = s;
  return true;
}

}  // namespace

uint32_t crc32(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string percent_encode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (is_plain(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '%') {
      if (i + 2 >= value.size()) return std::nullopt;
      int hi = hex_value(value[i + 1]), lo = hex_value(value[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (is_plain(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string Record::get(const std::string& key, const std::string& fallback) const {
  auto it = fields.find(key);
  return it == fields.end() ? fallback : it->second;
}

std::string encode(const Record& record) {
  std::string body(kMagic);
  body += record.nonce;
  body += '|';
  body += std::to_string(record.seq);
  body += '|';
  body += record.type;
  body += '|';
  bool first = true;
  for (const auto& [key, value] : record.fields) {
    if (!first) body += ' ';
    first = false;
    body += key;
    body += '=';
    body += percent_encode(value);
  }
  body += '|';
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32(body));
  body += crc;
  body += '\n';
  return body;
}

Decoded decode_line(std::string_view line, std::string_view nonce) {
  Decoded result;
  size_t start = line.find(kMagic);
  if (start == std::string_view::npos) return result;
  line.remove_prefix(start);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);

  size_t last_bar = line.rfind('|');
  if (last_bar == std::string_view::npos || line.size() - last_bar - 1 != 8) {
    result.status = DecodeStatus::Malformed;
    return result;
  }
  std::string_view covered = line.substr(0, last_bar + 1);
  std::string_view crc_text = line.substr(last_bar + 1);
  uint32_t expected = 0;
  auto [ptr, ec] = std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), expected, 16);
  if (ec != std::errc() || ptr != crc_text.data() + crc_text.size()) {
    result.status = DecodeStatus::Malformed;
    return result;
  }
  if (crc32(covered) != expected) {
    result.status = DecodeStatus::BadCrc;
    return result;
  }

  // KGRID1|nonce|seq|type|payload|  (the magic includes the first bar)
  std::array<std::string_view, 4> parts;
  std::string_view inner = covered.substr(kMagic.size(), covered.size() - kMagic.size() - 1);
  if (!split_bars(inner, parts)) {
    result.status = DecodeStatus::Malformed;
    return result;
  }
  auto& rec = result.record;
  rec.nonce = std::string(parts[0]);
  auto [sp, sec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), rec.seq);
  if (sec != std::errc() || sp != parts[1].data() + parts[1].size() || !valid_type(parts[2])) {
    result.status = DecodeStatus::Malformed;
    return result;
  }
  rec.type = std::string(parts[2]);
  std::string_view payload = parts[3];
  while (!payload.empty()) {
    size_t space = payload.find(' ');
    std::string_view field = payload.substr(0, space);
    payload = space == std::string_view::npos ? std::string_view() : payload.substr(space + 1);
    size_t eq = field.find('=');
    if (eq == std::string_view::npos || !valid_key(field.substr(0, eq))) {
      result.status = DecodeStatus::Malformed;
      return result;
    }
    auto value = percent_decode(field.substr(eq + 1));
    if (!value) {
      result.status = DecodeStatus::Malformed;
      return result;
    }
    rec.fields[std::string(field.substr(0, eq))] = std::move(*value);
  }
  if (!nonce.empty() && rec.nonce != nonce) {
    result.status = DecodeStatus::WrongNonce;
    return result;
  }
  result.status = DecodeStatus::Ok;
  return result;
}

std::string nonce_from_cmdline(std::string_view cmdline) {
  constexpr std::string_view key = "kgrid.nonce=";
  size_t pos = 0;
  while ((pos = cmdline.find(key, pos)) != std::string_view::npos) {
    if (pos == 0 || cmdline[pos - 1] == ' ') {
      std::string_view rest = cmdline.substr(pos + key.size());
      size_t end = rest.find_first_of(" \n\t");
      return std::string(rest.substr(0, end));
    }
    pos += key.size();
  }
  return {};
}

}  // namespace kgrid::protocol
