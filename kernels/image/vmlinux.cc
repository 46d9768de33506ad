#include "kernels/image/vmlinux.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <system_error>

#include "kernels/cache.h"
#include "kernels/image/image.h"
#include "kernels/sha256.h"
#include "kernels/image/vmlinux_decompress.h"

namespace kgrid::kernels {
namespace {

namespace fs = std::filesystem;

// x86 boot protocol (Documentation/arch/x86/boot.rst).
constexpr size_t kSetupSects = 0x1F1;
constexpr size_t kPayloadOffset = 0x248;
constexpr size_t kPayloadLength = 0x24C;
constexpr size_t kHeaderEnd = 0x250;
constexpr uint16_t kEmX86_64 = 62;

uint32_t le32(std::string_view b, size_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[off + i]);
  return v;
}

Error bad(const fs::path& path, const std::string& what) { return make_error(path.string() + ": " + what); }

// Finds, or makes, the cached PVH vmlinux of a bzImage. nullopt: the kernel
// has no PVH entry. `extracted`/`seconds` report a cache miss.
Result<std::optional<fs::path>> cached_pvh_vmlinux(const fs::path& bzimage, const fs::path& cache,
                                                   bool& extracted, double& seconds) {
  auto sha = sha256_file(bzimage);
  if (!sha) return sha.error();
  const fs::path dir = cache / "vmlinux";
  const fs::path elf_path = dir / (*sha + ".elf");
  const fs::path nopvh_path = dir / (*sha + ".nopvh");

  // Another kgrid may be extracting the same kernel: wait for it.
  auto lock = FileLock::acquire(cache / "locks" / ("vmlinux-" + *sha + ".lock"));
  if (!lock) return lock.error();
  std::error_code ec;
  if (fs::exists(nopvh_path, ec)) return std::optional<fs::path>();
  if (fs::exists(elf_path, ec)) {
    auto elf = read_vmlinux_elf_file(elf_path);
    if (elf && elf->pvh_entry) return std::optional<fs::path>(elf_path);
    fs::remove(elf_path, ec);  // damaged: make it again
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto x = extract_vmlinux(bzimage);
  if (!x) return x.error();
  extracted = true;
  if (!x->info.pvh_entry) {
    if (auto st = write_file_atomic(nopvh_path, ""); !st) return st.error();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::optional<fs::path>();
  }
  if (auto st = write_file_atomic(elf_path, x->elf); !st) return st.error();
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::optional<fs::path>(elf_path);
}

}  // namespace

Result<BootMode> parse_boot_mode(std::string_view text) {
  if (text == "auto") return BootMode::Auto;
  if (text == "bzimage") return BootMode::BzImage;
  if (text == "pvh") return BootMode::Pvh;
  return make_error("unknown boot mode '" + std::string(text) + "' (expected auto, bzimage or pvh)");
}

Result<ExtractedVmlinux> extract_vmlinux(const fs::path& bzimage) {
  auto image = inspect_image(bzimage);  // checks the header and that the payload is all there
  if (!image) return image.error();
  if (image->format != "bzImage") return bad(bzimage, "not a bzImage (it is " + image->format + ")");
  if (image->boot_protocol < 0x0208) {
    return bad(bzimage, "boot protocol older than 2.08 has no payload_offset field");
  }
  auto content = read_file(bzimage);
  if (!content) return content.error();
  const std::string& file = *content;
  if (file.size() < kHeaderEnd) return bad(bzimage, "truncated bzImage header");
  uint64_t setup_sects = static_cast<unsigned char>(file[kSetupSects]);
  if (setup_sects == 0) setup_sects = 4;
  const uint64_t start = (setup_sects + 1) * 512 + le32(file, kPayloadOffset);
  const uint64_t length = le32(file, kPayloadLength);
  if (start > file.size() || length > file.size() - start) {
    return bad(bzimage, "truncated bzImage: the compressed payload runs past the end of the file");
  }

  ExtractedVmlinux out;
  out.compression = image->compression;
  out.payload_bytes = length;
  auto elf = decompress_payload(std::string_view(file).substr(start, length), image->compression);
  if (!elf) return bad(bzimage, "cannot decompress the kernel payload: " + elf.error().message);
  auto info = read_vmlinux_elf(*elf);
  if (!info) return bad(bzimage, "the decompressed payload is not a usable vmlinux: " + info.error().message);
  if (info->machine != kEmX86_64) {
    return bad(bzimage, "the decompressed vmlinux is for ELF machine " + std::to_string(info->machine) +
                            ", not x86-64");
  }
  // The payload carries the relocation table after the ELF; QEMU needs only the ELF.
  elf->resize(info->file_end);
  out.elf = std::move(*elf);
  out.info = *info;
  return out;
}

Result<BootImage> choose_boot_image(const fs::path& image, BootMode mode, const fs::path& cache_dir_in) {
  BootImage boot{image, "bzimage", "", false, 0};
  if (mode == BootMode::BzImage) return boot;
  auto inspected = inspect_image(image);
  if (!inspected) return inspected.error();

  auto not_pvh = [&](const std::string& why) -> Result<BootImage> {
    if (mode == BootMode::Pvh) return bad(image, "cannot boot through PVH: " + why);
    boot.why = why;
    return boot;
  };
  if (inspected->format == "elf") {
    auto elf = read_vmlinux_elf_file(image);
    if (elf && elf->pvh_entry) return BootImage{image, "pvh", "", false, 0};
    boot.mode = "image";
    return not_pvh(elf ? "the ELF vmlinux has no PVH entry note" : elf.error().message);
  }
  if (inspected->format != "bzImage") {  // an arm64 Image: nothing to decompress, nothing to explain
    boot.mode = "image";
    if (mode == BootMode::Pvh) return not_pvh("PVH is for x86 kernels, this is an " + inspected->arch + " " + inspected->format);
    return boot;
  }

  fs::path cache = cache_dir_in;
  if (cache.empty()) {
    auto c = cache_dir();
    if (!c) return not_pvh(c.error().message);
    cache = *c;
  }
  bool extracted = false;
  double seconds = 0;
  auto vmlinux = cached_pvh_vmlinux(image, cache, extracted, seconds);
  if (!vmlinux) return not_pvh(vmlinux.error().message);
  if (!*vmlinux) return not_pvh("the kernel has no PVH entry note (CONFIG_PVH is off)");
  return BootImage{**vmlinux, "pvh", "", extracted, seconds};
}

std::vector<Result<BootImage>> choose_boot_images(const std::vector<fs::path>& images, BootMode mode,
                                                  size_t threads, const fs::path& cache_dir) {
  std::vector<Result<BootImage>> out(images.size(), Result<BootImage>(make_error("not done")));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < images.size();) out[i] = choose_boot_image(images[i], mode, cache_dir);
  };
  std::vector<std::thread> pool;
  const size_t n = std::min(std::max<size_t>(threads, 1), images.size());
  for (size_t t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return out;
}

}  // namespace kgrid::kernels
