#include "kernels/image/image.h"

#include <doctest/doctest.h>

#include <random>

#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {
const std::string kVersion =
    "6.1.0-99-amd64 (debian-kernel@lists.example) #1 SMP PREEMPT_DYNAMIC Debian 6.1.999-1";
}

TEST_CASE("a synthetic bzImage is inspected field by field") {
  ScratchDir d;
  struct Case { std::string magic, name; };
  for (const Case& c : std::vector<Case>{{"\x1f\x8b\x08", "gzip"},
                                         {std::string("\xfd" "7zXZ\0", 6), "xz"},
                                         {"\x28\xb5\x2f\xfd", "zstd"},
                                         {"\x02\x21\x4c\x18", "lz4"},
                                         {std::string("\x5d\x00\x00", 3), "lzma"},
                                         {"BZh9", "bzip2"},
                                         {"nope", "unknown"}}) {
    CAPTURE(c.name);
    write_file(d.path() / "bz", make_bzimage(kVersion, c.magic));
    auto img = inspect_image(d.path() / "bz");
    REQUIRE_MESSAGE(img.ok(), why(img));
    CHECK(img->arch == "x86_64");
    CHECK(img->format == "bzImage");
    CHECK(img->version == kVersion);
    CHECK(img->release == "6.1.0-99-amd64");
    CHECK(img->boot_protocol == 0x020f);
    CHECK(img->compression == c.name);
  }
}

TEST_CASE("truncated, random, empty and non-kernel files are errors naming the file") {
  ScratchDir d;
  const std::string good = make_bzimage(kVersion, "\x28\xb5\x2f\xfd");
  for (size_t len : {good.size() - 1, size_t{1500}, size_t{1024}, size_t{0x240}, size_t{0x100}}) {
    CAPTURE(len);
    fs::path p = d.path() / ("cut" + std::to_string(len));
    write_file(p, good.substr(0, len));
    auto img = inspect_image(p);
    REQUIRE_FALSE(img.ok());
    CHECK(img.error().message.find(p.string()) != std::string::npos);
  }
  write_file(d.path() / "cut2047", good.substr(0, 2047));
  CHECK(inspect_image(d.path() / "cut2047").error().message.find("truncated") != std::string::npos);

  std::mt19937 rng(42);
  std::string noise(1 << 16, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());
  write_file(d.path() / "random", noise);
  auto r = inspect_image(d.path() / "random");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("not a kernel image") != std::string::npos);

  write_file(d.path() / "empty", "");
  auto e = inspect_image(d.path() / "empty");
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("empty") != std::string::npos);

  CHECK_FALSE(inspect_image(d.path() / "missing").ok());
  CHECK_FALSE(inspect_image(d.path()).ok());  // a directory

  // A version pointer at garbage is not accepted as a version.
  std::string bad = good;
  bad[0x300] = '\x01';
  write_file(d.path() / "badver", bad);
  CHECK_FALSE(inspect_image(d.path() / "badver").ok());
}

TEST_CASE("arm64 Image and ELF vmlinux are recognised") {
  ScratchDir d;
  std::string arm(4096, '\0');
  arm.replace(0x38, 4, "ARM\x64");
  arm.replace(1000, 14 + 24, "Linux version 6.12.9-arm64 (x@y) #1 SMP");
  write_file(d.path() / "Image", arm);
  auto a = inspect_image(d.path() / "Image");
  REQUIRE_MESSAGE(a.ok(), why(a));
  CHECK(a->arch == "arm64");
  CHECK(a->format == "Image");
  CHECK(a->release == "6.12.9-arm64");

  std::string elf(8192, '\0');
  elf.replace(0, 4, "\x7f" "ELF");
  elf[4] = 2;   // 64-bit
  elf[5] = 1;   // little-endian
  elf[18] = 62; // x86_64
  elf.replace(5000, 40, "Linux version 6.6.6-kgrid (me@host) #7 SMP");
  write_file(d.path() / "vmlinux", elf);
  auto e = inspect_image(d.path() / "vmlinux");
  REQUIRE_MESSAGE(e.ok(), why(e));
  CHECK(e->arch == "x86_64");
  CHECK(e->format == "elf");
  CHECK(e->release == "6.6.6-kgrid");
  CHECK(e->version == "6.6.6-kgrid (me@host) #7 SMP");

  arm.replace(1000, 14, "Linux versioN ");
  write_file(d.path() / "Image2", arm);
  CHECK_FALSE(inspect_image(d.path() / "Image2").ok());
}

TEST_CASE("a real Debian bookworm kernel inspects, and its truncated copies do not") {
  if (!network_allowed()) {
    MESSAGE("skipped: KGRID_NO_NETWORK is set");
    return;
  }
  const auto& k = bookworm_kernel();
  REQUIRE_MESSAGE(k.ok(), why(k));
  auto img = inspect_image(k->image);
  REQUIRE_MESSAGE(img.ok(), why(img));
  CHECK(img->arch == "x86_64");
  CHECK(img->format == "bzImage");
  CHECK(img->release == k->release);
  CHECK(img->release.starts_with("6.1.0-"));
  CHECK(img->release.ends_with("-amd64"));
  CHECK(img->version.find("(debian-kernel@") != std::string::npos);
  CHECK(img->compression != "unknown");
  CHECK(img->boot_protocol >= 0x020f);

  const std::string bytes = slurp(k->image);
  ScratchDir d;
  for (size_t len : {bytes.size() - 1, bytes.size() / 2, size_t{20000}, size_t{600}, size_t{100}}) {
    CAPTURE(len);
    write_file(d.path() / "cut", bytes.substr(0, len));
    auto cut = inspect_image(d.path() / "cut");
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().message.find((d.path() / "cut").string()) != std::string::npos);
    if (len == bytes.size() - 1) {  // Debian signs its kernels: the signature is cut
      CHECK_MESSAGE(cut.error().message.find("PE signature") != std::string::npos, cut.error().message);
    }
  }
}
