#include "kernels/unpack/xz.h"

#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>

#include <cerrno>

#include "kernels/cache.h"

namespace kgrid::kernels {
namespace {

std::string lzma_text(lzma_ret r) {
  switch (r) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "memory limit reached";
    case LZMA_FORMAT_ERROR: return "not in xz format";
    case LZMA_OPTIONS_ERROR: return "unsupported xz options";
    case LZMA_DATA_ERROR: return "corrupt xz data";
    case LZMA_BUF_ERROR: return "xz data ends too early";
    default: return "liblzma error " + std::to_string(static_cast<int>(r));
  }
}

class Decoder {
 public:
  Decoder() : ret_(lzma_stream_decoder(&strm_, UINT64_MAX, LZMA_CONCATENATED)) {}
  ~Decoder() { lzma_end(&strm_); }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Feeds `in` (empty at the end of the input); returns false on error.
  bool feed(std::string_view in, bool last, const ChunkSink& sink) {
    if (ret_ != LZMA_OK) return false;
    strm_.next_in = reinterpret_cast<const uint8_t*>(in.data());
    strm_.avail_in = in.size();
    uint8_t out[1 << 16];
    for (;;) {
      strm_.next_out = out;
      strm_.avail_out = sizeof out;
      lzma_ret r = lzma_code(&strm_, last ? LZMA_FINISH : LZMA_RUN);
      size_t produced = sizeof out - strm_.avail_out;
      if (produced) sink(std::string_view(reinterpret_cast<char*>(out), produced));
      if (r == LZMA_STREAM_END) {
        done_ = true;
        return true;
      }
      if (r != LZMA_OK) {
        ret_ = r;
        return false;
      }
      if (strm_.avail_in == 0 && strm_.avail_out != 0) {
        if (!last) return true;
        ret_ = LZMA_BUF_ERROR;  // finishing but no end of stream
        return false;
      }
    }
  }
  bool done() const { return done_; }
  std::string error() const { return lzma_text(ret_); }

 private:
  lzma_stream strm_ = LZMA_STREAM_INIT;
  lzma_ret ret_;
  bool done_ = false;
};

}  // namespace

Status xz_decompress_file(const std::filesystem::path& path, const ChunkSink& sink) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open", path);
  Decoder dec;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot read", path);
    if (!dec.feed(std::string_view(buf, static_cast<size_t>(n)), n == 0, sink)) {
      return make_error(path.string() + ": " + dec.error());
    }
    if (n == 0 || dec.done()) break;
  }
  return ok_status();
}

Result<std::string> xz_decompress(std::string_view data) {
  std::string out;
  Decoder dec;
  if (!dec.feed(data, true, [&](std::string_view c) { out.append(c); })) {
    return make_error(dec.error());
  }
  return out;
}

}  // namespace kgrid::kernels
