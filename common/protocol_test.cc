#include "common/protocol.h"

#include <doctest/doctest.h>

using namespace kgrid::protocol;

namespace {
Record sample() {
  Record r;
  r.nonce = "0123456789abcdef";
  r.seq = 7;
  r.type = "TEST";
  r.fields = {{"name", "modern_bpf"}, {"reason", "got 0 | want 5000\nnext %line"}, {"m.events", "12"}};
  return r;
}
}  // namespace

TEST_CASE("crc32 matches the IEEE check value") {
  CHECK(crc32("123456789") == 0xCBF43926u);
  CHECK(crc32("") == 0u);
}

TEST_CASE("percent encoding round-trips every byte") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  std::string enc = percent_encode(all);
  CHECK(enc.find(' ') == std::string::npos);
  CHECK(enc.find('|') == std::string::npos);
  CHECK(enc.find('\n') == std::string::npos);
  auto dec = percent_decode(enc);
  REQUIRE(dec);
  CHECK(*dec == all);
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("%zz"));
  CHECK_FALSE(percent_decode("a b"));
}

TEST_CASE("encode then decode gives the same record") {
  std::string line = encode(sample());
  CHECK(line.back() == '\n');
  auto d = decode_line(line, "0123456789abcdef");
  REQUIRE(d.status == DecodeStatus::Ok);
  CHECK(d.record.seq == 7);
  CHECK(d.record.type == "TEST");
  CHECK(d.record.get("reason") == "got 0 | want 5000\nnext %line");
  CHECK(d.record.get("m.events") == "12");
}

TEST_CASE("printk text before the record on the same line is tolerated") {
  std::string line = "[    3.141] random: crng init done" + encode(sample());
  line.insert(line.size() - 1, "\r");
  CHECK(decode_line(line, "0123456789abcdef").status == DecodeStatus::Ok);
}

TEST_CASE("any corruption inside a record is caught") {
  std::string line = encode(sample());
  line.pop_back();
  // Flip, drop or insert one character anywhere after the magic: never Ok.
  for (size_t i = kMagic.size(); i < line.size(); ++i) {
    std::string flipped = line;
    flipped[i] = flipped[i] == 'x' ? 'y' : 'x';
    CHECK(decode_line(flipped, "").status != DecodeStatus::Ok);
    std::string dropped = line;
    dropped.erase(i, 1);
    CHECK(decode_line(dropped, "").status != DecodeStatus::Ok);
    std::string inserted = line;
    inserted.insert(i, "[ 1.0] printk");
    CHECK(decode_line(inserted, "").status != DecodeStatus::Ok);
  }
}

TEST_CASE("a record with another nonce is rejected") {
  CHECK(decode_line(encode(sample()), "ffffffffffffffff").status == DecodeStatus::WrongNonce);
}

TEST_CASE("garbage is not a record") {
  CHECK(decode_line("Kernel panic - not syncing: VFS", "").status == DecodeStatus::NotARecord);
  CHECK(decode_line("KGRID1|", "").status == DecodeStatus::Malformed);
  CHECK(decode_line("KGRID1|a|b|c|d|e|00000000", "").status != DecodeStatus::Ok);
  std::string bin(300, '\xff');
  CHECK(decode_line(bin, "").status == DecodeStatus::NotARecord);
}

TEST_CASE("nonce is read from the kernel command line") {
  CHECK(nonce_from_cmdline("console=ttyS0 kgrid.nonce=abc123 quiet\n") == "abc123");
  CHECK(nonce_from_cmdline("xkgrid.nonce=bad console=ttyS0") == "");
  CHECK(nonce_from_cmdline("kgrid.nonce=first") == "first");
}
