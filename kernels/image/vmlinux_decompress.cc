#include "kernels/image/vmlinux_decompress.h"

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>

namespace kgrid::kernels {
namespace {

// Each decoder writes into `out` (capacity `cap`, one byte more than the
// expected size so that an over-long stream shows) and sets `produced`.
struct Sink {
  char* out;
  size_t cap;
  size_t produced = 0;
};

const std::string kTruncated = "the payload ends too early (truncated?)";
const std::string kTooLong = "the payload decompresses to more than its size trailer says";

Status decode_gzip(std::string_view in, Sink& s) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return make_error("cannot set up zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(s.out);
  z.avail_out = static_cast<uInt>(s.cap);
  int r = inflate(&z, Z_FINISH);
  s.produced = z.total_out;
  if (r == Z_STREAM_END) return ok_status();
  if (r == Z_DATA_ERROR) return make_error(std::string("corrupt data: ") + (z.msg ? z.msg : "?"));
  if (r == Z_MEM_ERROR) return make_error("out of memory");
  return make_error(z.avail_out == 0 ? kTooLong : kTruncated);
}

std::string lzma_text(lzma_ret r) {
  switch (r) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_FORMAT_ERROR: return "not in the expected format";
    case LZMA_OPTIONS_ERROR: return "unsupported options";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_BUF_ERROR: return kTruncated;
    default: return "liblzma error " + std::to_string(static_cast<int>(r));
  }
}

Status decode_lzma(std::string_view in, Sink& s, bool xz) {
  lzma_stream z = LZMA_STREAM_INIT;
  lzma_ret r = xz ? lzma_stream_decoder(&z, UINT64_MAX, 0) : lzma_alone_decoder(&z, UINT64_MAX);
  if (r != LZMA_OK) return make_error(lzma_text(r));
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> end(&z, lzma_end);
  z.next_in = reinterpret_cast<const uint8_t*>(in.data());
  z.avail_in = in.size();
  z.next_out = reinterpret_cast<uint8_t*>(s.out);
  z.avail_out = s.cap;
  r = lzma_code(&z, LZMA_FINISH);
  s.produced = z.total_out;
  if (r == LZMA_STREAM_END) return ok_status();
  if (r == LZMA_OK || r == LZMA_BUF_ERROR) return make_error(z.avail_out == 0 ? kTooLong : kTruncated);
  return make_error(lzma_text(r));
}

Status decode_zstd(std::string_view in, Sink& s) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return make_error("out of memory");
  // The kernel compresses with a window of up to 2^27 bytes (zstd -22 --ultra).
  ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, 31);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  ZSTD_outBuffer ob{s.out, s.cap, 0};
  for (;;) {
    size_t r = ZSTD_decompressStream(ctx.get(), &ob, &ib);
    s.produced = ob.pos;
    if (ZSTD_isError(r)) return make_error(std::string("corrupt data: ") + ZSTD_getErrorName(r));
    if (r == 0) return ok_status();  // a whole frame
    if (ob.pos == ob.size) return make_error(kTooLong);
    if (ib.pos == ib.size) return make_error(kTruncated);
  }
}

// The lz4 "legacy" frame the kernel uses (lz4 -l): a magic number, then
// blocks of <le32 compressed size><data>, each up to 8 MiB uncompressed.
Status decode_lz4_legacy(std::string_view in, Sink& s) {
  constexpr uint32_t kMagic = 0x184C2102;
  constexpr size_t kBlock = 8 << 20;
  auto le32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    return v;
  };
  if (in.size() < 4 || le32(0) != kMagic) return make_error("not an lz4 legacy frame");
  size_t pos = 4;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return make_error(kTruncated);
    const uint32_t csize = le32(pos);
    pos += 4;
    if (csize == kMagic) continue;  // concatenated frames
    if (csize > in.size() - pos) return make_error(kTruncated);
    const size_t room = std::min(kBlock, s.cap - s.produced);
    int n = LZ4_decompress_safe(in.data() + pos, s.out + s.produced, static_cast<int>(csize),
                                static_cast<int>(room));
    if (n < 0) {
      return make_error(room < kBlock ? kTooLong : "corrupt data in the block at byte " + std::to_string(pos - 4));
    }
    s.produced += static_cast<size_t>(n);
    pos += csize;
  }
  return ok_status();
}

Status decode_bzip2(std::string_view in, Sink& s) {
  bz_stream z{};
  if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) return make_error("cannot set up libbz2");
  std::unique_ptr<bz_stream, int (*)(bz_stream*)> end(&z, BZ2_bzDecompressEnd);
  z.next_in = const_cast<char*>(in.data());
  z.avail_in = static_cast<unsigned>(in.size());
  z.next_out = s.out;
  z.avail_out = static_cast<unsigned>(s.cap);
  for (;;) {
    int r = BZ2_bzDecompress(&z);
    s.produced = s.cap - z.avail_out;
    if (r == BZ_STREAM_END) return ok_status();
    if (r == BZ_DATA_ERROR || r == BZ_DATA_ERROR_MAGIC) return make_error("corrupt data");
    if (r != BZ_OK) return make_error("libbz2 error " + std::to_string(r));
    if (z.avail_out == 0) return make_error(kTooLong);
    if (z.avail_in == 0) return make_error(kTruncated);
  }
}

}  // namespace

Result<uint32_t> payload_trailer_size(std::string_view payload) {
  if (payload.size() < 8) return make_error("the payload is only " + std::to_string(payload.size()) + " bytes");
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(payload[payload.size() - 4 + i])} << (8 * i);
  return v;
}

Result<std::string> decompress_payload(std::string_view payload, std::string_view format) {
  const std::string prefix = std::string(format) + ": ";
  auto expected = payload_trailer_size(payload);
  if (!expected) return make_error(prefix + expected.error().message);
  if (*expected == 0 || *expected > kMaxVmlinuxBytes) {
    return make_error(prefix + "the payload's size trailer says " + std::to_string(*expected) +
                      " bytes: not a kernel payload");
  }
  // gzip's own trailer is the size; the others have it appended after the stream.
  std::string_view stream = format == "gzip" ? payload : payload.substr(0, payload.size() - 4);

  std::string out(size_t{*expected} + 1, '\0');
  Sink sink{out.data(), out.size()};
  Status st = make_error("unsupported compression");
  if (format == "gzip") st = decode_gzip(stream, sink);
  else if (format == "xz") st = decode_lzma(stream, sink, true);
  else if (format == "lzma") st = decode_lzma(stream, sink, false);
  else if (format == "zstd") st = decode_zstd(stream, sink);
  else if (format == "lz4") st = decode_lz4_legacy(stream, sink);
  else if (format == "bzip2") st = decode_bzip2(stream, sink);
  if (!st) return make_error(prefix + st.error().message);
  if (sink.produced != *expected) {
    return make_error(prefix + "the payload decompresses to " + std::to_string(sink.produced) +
                      " bytes but its size trailer says " + std::to_string(*expected) +
                      (sink.produced < *expected ? " (truncated?)" : ""));
  }
  out.resize(sink.produced);
  return out;
}

}  // namespace kgrid::kernels
