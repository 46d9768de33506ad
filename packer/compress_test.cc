#include "packer/compress.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "util/files.h"
#include "packer/test_support.h"

namespace kgrid::packer {
namespace {

using testing::quote;
using testing::run;
using testing::TempDir;

// Compressible but not trivial: text with some variety.
std::string sample_bytes() {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "line " + std::to_string(i * 7919 % 10007) + " of kgrid\n";
  return s;
}

std::string decompress_with_tool(const std::string& tool, const std::string& packed) {
  TempDir dir;
  auto path = dir / "packed";
  REQUIRE(write_file_atomic(path, {packed}).ok());
  auto r = run(tool + " -d -c < " + quote(path));
  REQUIRE(r.exit_code == 0);
  return r.out;
}

}  // namespace

TEST_CASE("compression names") {
  for (auto c : {Compression::None, Compression::Gzip, Compression::Zstd}) {
    CHECK(parse_compression(compression_name(c)) == c);
  }
  CHECK(compression_name(Compression::Zstd) == "zstd");
  CHECK(compression_suffix(Compression::Gzip) == ".gz");
  CHECK(compression_suffix(Compression::Zstd) == ".zst");
  CHECK(compression_suffix(Compression::None).empty());
  CHECK_FALSE(parse_compression("xz").has_value());
  CHECK_FALSE(parse_compression("ZSTD").has_value());
}

TEST_CASE("zstd round trip through the zstd tool, deterministic") {
  std::string in = sample_bytes();
  auto packed = compress(in, Compression::Zstd);
  REQUIRE(packed.ok());
  CHECK(packed->size() < in.size() / 4);
  CHECK(packed->compare(0, 4, "\x28\xb5\x2f\xfd") == 0);
  CHECK(decompress_with_tool("zstd", *packed) == in);
  CHECK(*compress(in, Compression::Zstd) == *packed);
  auto fast = compress(in, Compression::Zstd, 1);
  REQUIRE(fast.ok());
  CHECK(decompress_with_tool("zstd", *fast) == in);
}

TEST_CASE("gzip round trip through the gzip tool, deterministic header") {
  std::string in = sample_bytes();
  auto packed = compress(in, Compression::Gzip);
  REQUIRE(packed.ok());
  CHECK(packed->size() < in.size() / 2);
  REQUIRE(packed->size() > 10);
  CHECK(static_cast<unsigned char>((*packed)[0]) == 0x1f);
  CHECK(static_cast<unsigned char>((*packed)[1]) == 0x8b);
  CHECK((*packed)[3] == 0);               // FLG: no name, no comment, no extra
  CHECK(packed->substr(4, 4) == std::string(4, '\0'));  // MTIME 0
  CHECK(decompress_with_tool("gzip", *packed) == in);
  CHECK(*compress(in, Compression::Gzip) == *packed);
}

TEST_CASE("compress: none copies, empty input works, bad levels fail") {
  CHECK(*compress("abc", Compression::None) == "abc");
  CHECK(decompress_with_tool("zstd", *compress("", Compression::Zstd)).empty());
  CHECK(decompress_with_tool("gzip", *compress("", Compression::Gzip)).empty());
  CHECK_FALSE(compress("abc", Compression::Gzip, 10).ok());
  CHECK_FALSE(compress("abc", Compression::Zstd, 99).ok());
}

TEST_CASE("parse_kernel_version") {
  CHECK(parse_kernel_version("6.1.0-50-amd64") == std::pair{6, 1});
  CHECK(parse_kernel_version("5.10.0-28-cloud-amd64") == std::pair{5, 10});
  CHECK(parse_kernel_version("4.19") == std::pair{4, 19});
  CHECK_FALSE(parse_kernel_version("vmlinuz").has_value());
  CHECK_FALSE(parse_kernel_version("6").has_value());
  CHECK_FALSE(parse_kernel_version("6.x").has_value());
}

TEST_CASE("choose_compression") {
  std::map<std::string, std::string> both{{"CONFIG_RD_ZSTD", "y"}, {"CONFIG_RD_GZIP", "y"}};
  std::map<std::string, std::string> gzip_only{{"CONFIG_RD_GZIP", "y"}};
  std::map<std::string, std::string> neither{{"CONFIG_RD_XZ", "y"}};
  ConfigLookup unknown;

  SUBCASE("config unknown") {
    CHECK(choose_compression("5.4.0-150-generic", unknown) == Compression::Gzip);
    CHECK(choose_compression("5.10.0-28-amd64", unknown) == Compression::Zstd);
    CHECK(choose_compression("6.1.0-50-amd64", unknown) == Compression::Zstd);
    CHECK(choose_compression("5.9", unknown) == Compression::Zstd);
    CHECK(choose_compression("5.8.18", unknown) == Compression::Gzip);
    CHECK(choose_compression("garbage", unknown) == Compression::Gzip);
  }
  SUBCASE("zstd and gzip enabled") {
    CHECK(choose_compression("5.4.0", lookup_in(both)) == Compression::Gzip);
    CHECK(choose_compression("5.10.0", lookup_in(both)) == Compression::Zstd);
    CHECK(choose_compression("6.1.0-50-amd64", lookup_in(both)) == Compression::Zstd);
  }
  SUBCASE("gzip only") {
    CHECK(choose_compression("5.4.0", lookup_in(gzip_only)) == Compression::Gzip);
    CHECK(choose_compression("5.10.0", lookup_in(gzip_only)) == Compression::Gzip);
    CHECK(choose_compression("6.1.0-50-amd64", lookup_in(gzip_only)) == Compression::Gzip);
  }
  SUBCASE("neither") {
    CHECK(choose_compression("5.4.0", lookup_in(neither)) == Compression::None);
    CHECK(choose_compression("6.1.0", lookup_in(neither)) == Compression::None);
  }
  SUBCASE("modules do not count: the initramfs is unpacked before modules load") {
    std::map<std::string, std::string> m{{"CONFIG_RD_ZSTD", "m"}};
    CHECK(choose_compression("6.1.0", lookup_in(m)) == Compression::None);
  }
}

// Not run by default (`packer_test --no-skip -tc='*timing*'`): compression time
// and size for real binaries, to pick the default levels.
TEST_CASE("compression timing" * doctest::skip()) {
  std::string in;
  for (const char* f : {"/usr/bin/cmake", "/usr/bin/ctest", "/usr/bin/cpio", "/usr/bin/zstd"}) {
    if (auto b = read_file(f)) in += *b;
  }
  REQUIRE_FALSE(in.empty());
  std::printf("input %zu bytes\n", in.size());
  auto measure = [&](Compression c, int level) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = compress(in, c, level);
    auto t1 = std::chrono::steady_clock::now();
    REQUIRE(out.ok());
    std::printf("%s -%d: %.3f s, %zu bytes (%.1f%%)\n", compression_name(c).data(), level,
                std::chrono::duration<double>(t1 - t0).count(), out->size(),
                100.0 * out->size() / in.size());
  };
  for (int level : {1, 3, 6, 9, 12, 15, 19}) measure(Compression::Zstd, level);
  for (int level : {1, 6, 9}) measure(Compression::Gzip, level);
}

}  // namespace kgrid::packer
