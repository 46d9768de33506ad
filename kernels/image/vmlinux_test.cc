#include "kernels/image/vmlinux.h"

#include <doctest/doctest.h>

#include "kernels/testing.h"
#include "kernels/image/vmlinux_testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {
const std::string kVersion = "6.1.0-99-amd64 (debian-kernel@lists.example) #1 SMP PREEMPT_DYNAMIC Debian 6.1.999-1";

std::string bzimage_of(const std::string& elf, const char* format = "xz") {
  return make_bzimage_with_payload(kVersion, kernel_compress(format, elf));
}
}  // namespace

TEST_CASE("the vmlinux comes out of a bzImage, without the relocations that follow the ELF") {
  ScratchDir d;
  const std::string elf = make_elf();
  for (const char* format : {"gzip", "xz", "zstd", "lz4", "lzma", "bzip2"}) {
    CAPTURE(format);
    write_file(d.path() / "bzImage", bzimage_of(elf + std::string(1000, 'R'), format));
    auto x = extract_vmlinux(d.path() / "bzImage");
    REQUIRE_MESSAGE(x.ok(), why(x));
    CHECK(x->compression == format);
    CHECK(x->elf == elf);
    CHECK(x->info.pvh_entry.has_value());
  }
}

TEST_CASE("extraction errors name the file and the problem") {
  ScratchDir d;
  const fs::path bz = d.path() / "bzImage";
  const std::string elf = make_elf();

  std::string payload = kernel_compress("xz", elf);
  std::string cut = payload.substr(0, payload.size() / 2) + payload.substr(payload.size() - 4);
  write_file(bz, make_bzimage_with_payload(kVersion, cut));
  auto truncated = extract_vmlinux(bz);
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().message ==
        bz.string() + ": cannot decompress the kernel payload: xz: the payload ends too early (truncated?)");

  // A truncated file is caught by the header check before any decompression.
  std::string whole = bzimage_of(elf);
  write_file(bz, whole.substr(0, whole.size() - 100));
  auto short_file = extract_vmlinux(bz);
  REQUIRE_FALSE(short_file.ok());
  CHECK(short_file.error().message.find("truncated bzImage") != std::string::npos);

  write_file(bz, make_bzimage_with_payload(kVersion, kernel_compress("zstd", "just some text, not an ELF")));
  auto not_elf = extract_vmlinux(bz);
  REQUIRE_FALSE(not_elf.ok());
  CHECK(not_elf.error().message == bz.string() + ": the decompressed payload is not a usable vmlinux: not an ELF file");

  ElfSpec arm;
  arm.machine = 183;
  write_file(bz, bzimage_of(make_elf(arm)));
  CHECK(extract_vmlinux(bz).error().message.find("ELF machine 183, not x86-64") != std::string::npos);

  write_file(d.path() / "elf", elf);
  CHECK(extract_vmlinux(d.path() / "elf").error().message.find("not a bzImage (it is elf)") != std::string::npos);
}

TEST_CASE("boot modes: auto boots the cached PVH vmlinux, bzimage the image, pvh insists") {
  ScratchDir d;
  const fs::path cache = d.path() / "cache";
  const fs::path pvh_bz = d.path() / "vmlinuz-pvh";
  write_file(pvh_bz, bzimage_of(make_elf()));

  auto first = choose_boot_image(pvh_bz, BootMode::Auto, cache);
  REQUIRE_MESSAGE(first.ok(), why(first));
  CHECK(first->mode == "pvh");
  CHECK(first->why.empty());
  CHECK(first->extracted);
  CHECK(first->path.parent_path() == cache / "vmlinux");
  CHECK(first->path.extension() == ".elf");
  CHECK(slurp(first->path) == make_elf());

  auto again = choose_boot_image(pvh_bz, BootMode::Pvh, cache);
  REQUIRE_MESSAGE(again.ok(), why(again));
  CHECK(again->path == first->path);
  CHECK_FALSE(again->extracted);  // from the cache

  // A damaged cache entry is made again.
  write_file(first->path, "garbage");
  auto repaired = choose_boot_image(pvh_bz, BootMode::Auto, cache);
  REQUIRE_MESSAGE(repaired.ok(), why(repaired));
  CHECK(repaired->extracted);
  CHECK(slurp(repaired->path) == make_elf());

  auto plain = choose_boot_image(pvh_bz, BootMode::BzImage, cache);
  REQUIRE(plain.ok());
  CHECK(plain->mode == "bzimage");
  CHECK(plain->path == pvh_bz);

  ElfSpec no_pvh;
  no_pvh.pvh = false;
  const fs::path old_bz = d.path() / "vmlinuz-old";
  write_file(old_bz, bzimage_of(make_elf(no_pvh)));
  auto fallback = choose_boot_image(old_bz, BootMode::Auto, cache);
  REQUIRE(fallback.ok());
  CHECK(fallback->mode == "bzimage");
  CHECK(fallback->path == old_bz);
  CHECK(fallback->why.find("no PVH entry note") != std::string::npos);
  auto refused = choose_boot_image(old_bz, BootMode::Pvh, cache);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("cannot boot through PVH") != std::string::npos);

  // An ELF vmlinux with the note boots as it is.
  write_file(d.path() / "vmlinux", make_elf());
  auto elf = choose_boot_image(d.path() / "vmlinux", BootMode::Auto, cache);
  REQUIRE(elf.ok());
  CHECK(elf->mode == "pvh");
  CHECK(elf->path == d.path() / "vmlinux");

  CHECK(parse_boot_mode("auto").ok());
  CHECK(*parse_boot_mode("pvh") == BootMode::Pvh);
  CHECK(*parse_boot_mode("bzimage") == BootMode::BzImage);
  CHECK_FALSE(parse_boot_mode("uefi").ok());
}

TEST_CASE("a real Debian bzImage gives an x86-64 vmlinux with a PVH entry" * doctest::skip(!network_allowed())) {
  const auto& k = bookworm_kernel();
  REQUIRE_MESSAGE(k.ok(), why(k));
  auto x = extract_vmlinux(k->image);
  REQUIRE_MESSAGE(x.ok(), why(x));
  CHECK(x->compression == "xz");
  CHECK(x->info.machine == 62);
  REQUIRE(x->info.pvh_entry.has_value());
  CHECK(*x->info.pvh_entry > 0x1000000);  // a physical address above the 16 MiB load address
  CHECK(x->elf.size() > 20u << 20);
  CHECK(x->info.loaded_bytes > 10u << 20);

  // The same file with a damaged payload byte, and cut short.
  ScratchDir d;
  std::string bytes = slurp(k->image);
  std::string damaged = bytes;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x55);
  write_file(d.path() / "vmlinuz", damaged);
  auto bad = extract_vmlinux(d.path() / "vmlinuz");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("cannot decompress the kernel payload: xz: corrupt data") != std::string::npos);

  write_file(d.path() / "vmlinuz", bytes.substr(0, bytes.size() / 2));
  auto cut = extract_vmlinux(d.path() / "vmlinuz");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().message.find("truncated bzImage") != std::string::npos);
}

TEST_CASE("an arm64 Image boots as it is in auto mode and is refused in pvh mode") {
  ScratchDir d;
  std::string image(4096, '\0');
  image.replace(0x38, 4, "ARM\x64");
  image.replace(1024, 60, "Linux version 6.1.0-99-arm64 (kgrid test) #1 SMP PREEMPT_DYNAMIC");
  write_file(d.path() / "Image", image);
  auto boot = choose_boot_image(d.path() / "Image", BootMode::Auto, d.path() / "cache");
  REQUIRE_MESSAGE(boot.ok(), why(boot));
  CHECK(boot->mode == "image");
  CHECK(boot->why.empty());
  CHECK(boot->path == d.path() / "Image");
  auto pvh = choose_boot_image(d.path() / "Image", BootMode::Pvh, d.path() / "cache");
  REQUIRE_FALSE(pvh.ok());
  CHECK(pvh.error().message.find("PVH is for x86 kernels, this is an arm64 Image") != std::string::npos);
}

TEST_CASE("many kernels at once: one result per image, in order, the same kernel extracted once") {
  ScratchDir d;
  ElfSpec no_pvh;
  no_pvh.pvh = false;
  write_file(d.path() / "a", bzimage_of(make_elf(), "zstd"));
  write_file(d.path() / "b", bzimage_of(make_elf(no_pvh), "gzip"));
  write_file(d.path() / "c", "not a kernel at all, but long enough to be looked at by inspect_image......");
  std::vector<fs::path> images = {d.path() / "a", d.path() / "b", d.path() / "a", d.path() / "c", d.path() / "a"};
  auto boots = choose_boot_images(images, BootMode::Auto, 3, d.path() / "cache");
  REQUIRE(boots.size() == 5);
  REQUIRE(boots[0].ok());
  CHECK(boots[0]->mode == "pvh");
  CHECK(boots[1]->mode == "bzimage");
  CHECK(boots[2]->path == boots[0]->path);
  CHECK_FALSE(boots[3].ok());
  CHECK(boots[4]->path == boots[0]->path);
  int extracted = 0;
  for (size_t i : {0u, 2u, 4u}) extracted += boots[i]->extracted;
  CHECK(extracted == 1);  // the lock makes the others wait and find the cache
}
