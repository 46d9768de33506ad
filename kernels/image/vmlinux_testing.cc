#include "kernels/image/vmlinux_testing.h"

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <stdexcept>

namespace kgrid::kernels::testing {
namespace {

void put(std::string& b, size_t off, uint64_t v, int bytes) {
  if (b.size() < off + bytes) b.resize(off + bytes, '\0');
  for (int i = 0; i < bytes; ++i) b[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

void append_le(std::string& b, uint64_t v, int bytes) { put(b, b.size(), v, bytes); }

void append_note(std::string& notes, std::string_view name, uint32_t type, std::string_view desc) {
  append_le(notes, name.size() + 1, 4);
  append_le(notes, desc.size(), 4);
  append_le(notes, type, 4);
  notes.append(name);
  notes.push_back('\0');
  while (notes.size() % 4) notes.push_back('\0');
  notes.append(desc);
  while (notes.size() % 4) notes.push_back('\0');
}

// Compressible but not trivial: kernel-like text with some noise.
std::string pseudo_text(size_t n) {
  std::mt19937 rng(42);
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    s += "mov %rax, 0x" + std::to_string(rng() % 4096) + "(%rbp); ";
  }
  s.resize(n);
  return s;
}

std::string gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string lzma_encode(std::string_view in, bool xz) {
  lzma_stream z = LZMA_STREAM_INIT;
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 6);
  lzma_ret r = xz ? lzma_easy_encoder(&z, 6, LZMA_CHECK_CRC32) : lzma_alone_encoder(&z, &opt);
  if (r != LZMA_OK) throw std::runtime_error("lzma encoder");
  std::string out(in.size() + in.size() / 2 + 65536, '\0');
  z.next_in = reinterpret_cast<const uint8_t*>(in.data());
  z.avail_in = in.size();
  z.next_out = reinterpret_cast<uint8_t*>(out.data());
  z.avail_out = out.size();
  if (lzma_code(&z, LZMA_FINISH) != LZMA_STREAM_END) throw std::runtime_error("lzma_code");
  out.resize(z.total_out);
  lzma_end(&z);
  return out;
}

std::string zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 19);
  if (ZSTD_isError(n)) throw std::runtime_error("ZSTD_compress");
  out.resize(n);
  return out;
}

std::string lz4_legacy(std::string_view in) {
  constexpr size_t kBlock = 8 << 20;
  std::string out;
  append_le(out, 0x184C2102, 4);
  for (size_t pos = 0; pos < in.size(); pos += kBlock) {
    const size_t n = std::min(kBlock, in.size() - pos);
    std::string block(LZ4_compressBound(static_cast<int>(n)), '\0');
    int c = LZ4_compress_default(in.data() + pos, block.data(), static_cast<int>(n), static_cast<int>(block.size()));
    if (c <= 0) throw std::runtime_error("LZ4_compress_default");
    append_le(out, static_cast<uint64_t>(c), 4);
    out.append(block.data(), static_cast<size_t>(c));
  }
  return out;
}

std::string bzip2(std::string_view in) {
  unsigned len = static_cast<unsigned>(in.size() + in.size() / 100 + 600);
  std::string out(len, '\0');
  if (BZ2_bzBuffToBuffCompress(out.data(), &len, const_cast<char*>(in.data()), static_cast<unsigned>(in.size()), 9,
                               0, 0) != BZ_OK)
    throw std::runtime_error("BZ2_bzBuffToBuffCompress");
  out.resize(len);
  return out;
}

}  // namespace

std::string make_elf(const ElfSpec& spec) {
  constexpr size_t kPhoff = 64, kPhnum = 2, kNotesAt = kPhoff + kPhnum * 56, kLoadAt = 4096;
  std::string notes;
  append_note(notes, "GNU", 3, std::string(20, '\x5a'));  // NT_GNU_BUILD_ID
  if (spec.pvh) {
    std::string desc;
    append_le(desc, spec.pvh_entry, static_cast<int>(spec.pvh_desc_bytes));
    append_note(notes, "Xen", 18, desc);
  }
  append_note(notes, "Linux", 0x100, "abcd");

  std::string e;
  e.append("\x7f" "ELF", 4);
  e.push_back(2);  // ELFCLASS64
  e.push_back(1);  // little-endian
  e.push_back(1);  // EV_CURRENT
  put(e, 16, 2, 2);             // ET_EXEC
  put(e, 18, spec.machine, 2);
  put(e, 20, 1, 4);
  put(e, 24, 0xffffffff81000000, 8);
  put(e, 32, kPhoff, 8);
  put(e, 40, 0, 8);             // no section headers
  put(e, 52, 64, 2);
  put(e, 54, 56, 2);
  put(e, 56, kPhnum, 2);
  // PT_LOAD
  put(e, kPhoff + 0, 1, 4);
  put(e, kPhoff + 4, 5, 4);
  put(e, kPhoff + 8, kLoadAt, 8);
  put(e, kPhoff + 16, 0xffffffff81000000, 8);
  put(e, kPhoff + 24, 0x1000000, 8);
  put(e, kPhoff + 32, spec.load_bytes, 8);
  put(e, kPhoff + 40, spec.load_bytes + 4096, 8);
  put(e, kPhoff + 48, 0x200000, 8);
  // PT_NOTE
  put(e, kPhoff + 56 + 0, 4, 4);
  put(e, kPhoff + 56 + 8, kNotesAt, 8);
  put(e, kPhoff + 56 + 32, notes.size(), 8);
  put(e, kPhoff + 56 + 40, notes.size(), 8);
  put(e, kPhoff + 56 + 48, 4, 8);
  e.resize(kNotesAt);
  e += notes;
  e.resize(kLoadAt, '\0');
  // The banner inspect_image looks for in an ELF vmlinux.
  std::string load = "Linux version 6.1.0-99-amd64 (kgrid test) #1 SMP" + std::string(1, '\0');
  load += pseudo_text(spec.load_bytes);
  load.resize(spec.load_bytes);
  e += load;
  return e;
}

std::string kernel_compress(std::string_view format, std::string_view data) {
  std::string out;
  if (format == "gzip") return gzip(data);
  if (format == "xz") out = lzma_encode(data, true);
  else if (format == "lzma") out = lzma_encode(data, false);
  else if (format == "zstd") out = zstd(data);
  else if (format == "lz4") out = lz4_legacy(data);
  else if (format == "bzip2") out = bzip2(data);
  else throw std::runtime_error("unknown format");
  append_le(out, data.size(), 4);
  return out;
}

std::string make_bzimage_with_payload(std::string_view version, std::string_view payload) {
  constexpr size_t kSetup = 1024, kPayloadOffset = 16;
  const size_t pm = (kPayloadOffset + payload.size() + 15) / 16 * 16;
  std::string b(kSetup + pm, '\0');
  b[0x1F1] = 1;  // setup_sects
  put(b, 0x1F4, pm / 16, 4);
  put(b, 0x1FE, 0xAA55, 2);
  b.replace(0x202, 4, "HdrS");
  put(b, 0x206, 0x020f, 2);
  put(b, 0x20E, 0x300 - 0x200, 2);
  put(b, 0x248, kPayloadOffset, 4);
  put(b, 0x24C, payload.size(), 4);
  b.replace(0x300, version.size(), version);
  b.replace(kSetup + kPayloadOffset, payload.size(), payload);
  return b;
}

}  // namespace kgrid::kernels::testing
