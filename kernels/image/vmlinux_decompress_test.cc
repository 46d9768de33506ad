#include "kernels/image/vmlinux_decompress.h"

#include <doctest/doctest.h>

#include "kernels/image/image.h"
#include "kernels/testing.h"
#include "kernels/image/vmlinux_testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

namespace {
const char* const kFormats[] = {"gzip", "xz", "zstd", "lz4", "lzma", "bzip2"};
}

TEST_CASE("every payload format the kernel build makes decompresses to the original") {
  const std::string elf = make_elf();
  for (const char* format : kFormats) {
    CAPTURE(format);
    const std::string payload = kernel_compress(format, elf);
    CHECK(compression_from_magic(payload) == format);  // the same detection inspect_image uses
    auto out = decompress_payload(payload, format);
    REQUIRE_MESSAGE(out.ok(), why(out));
    CHECK(*out == elf);
  }
}

TEST_CASE("lz4 legacy frames with several 8 MiB blocks") {
  std::string big(20u << 20, '\0');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i >> 12);
  auto out = decompress_payload(kernel_compress("lz4", big), "lz4");
  REQUIRE_MESSAGE(out.ok(), why(out));
  CHECK(*out == big);
}

TEST_CASE("a truncated payload is refused with 'truncated' in the reason, for every format") {
  const std::string elf = make_elf();
  for (const char* format : kFormats) {
    CAPTURE(format);
    std::string payload = kernel_compress(format, elf);
    // Cut the stream in half but keep a valid-looking size trailer.
    std::string cut = payload.substr(0, payload.size() / 2) + payload.substr(payload.size() - 4);
    auto out = decompress_payload(cut, format);
    REQUIRE_FALSE(out.ok());
    CAPTURE(out.error().message);
    CHECK(out.error().message.rfind(std::string(format) + ": ", 0) == 0);
    const bool says_why = out.error().message.find("truncated") != std::string::npos ||
                          out.error().message.find("corrupt") != std::string::npos;
    CHECK(says_why);
  }
}

TEST_CASE("a size trailer that disagrees with the stream is an error") {
  const std::string elf = make_elf();
  for (const char* format : kFormats) {
    CAPTURE(format);
    if (std::string(format) == "gzip") continue;  // gzip's trailer is checked by zlib itself
    std::string payload = kernel_compress(format, elf);
    std::string smaller = payload;
    smaller[smaller.size() - 4] = static_cast<char>(smaller[smaller.size() - 4] - 1);
    auto out = decompress_payload(smaller, format);
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().message.find("size trailer") != std::string::npos);

    std::string larger = payload;
    larger[larger.size() - 3] = static_cast<char>(larger[larger.size() - 3] + 1);
    auto out2 = decompress_payload(larger, format);
    REQUIRE_FALSE(out2.ok());
    CHECK(out2.error().message.find("truncated") != std::string::npos);
  }
}

TEST_CASE("absurd inputs") {
  CHECK(decompress_payload("abc", "xz").error().message == "xz: the payload is only 3 bytes");
  std::string zero_size = kernel_compress("zstd", "x");
  zero_size.replace(zero_size.size() - 4, 4, std::string(4, '\0'));
  CHECK(decompress_payload(zero_size, "zstd").error().message.find("not a kernel payload") != std::string::npos);
  CHECK(decompress_payload(kernel_compress("zstd", "hello"), "lzo").error().message == "lzo: unsupported compression");
  CHECK(decompress_payload(kernel_compress("zstd", "hello world"), "xz").error().message.find("xz: ") == 0);
}
