#include "kernels/image/image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

#include "kernels/cache.h"

namespace kgrid::kernels {
namespace {

// Offsets in the x86 boot protocol header (Documentation/arch/x86/boot.rst).
constexpr uint64_t kSetupSects = 0x1F1;
constexpr uint64_t kSysSize = 0x1F4;
constexpr uint64_t kBootFlag = 0x1FE;
constexpr uint64_t kHeaderMagic = 0x202;
constexpr uint64_t kVersion = 0x206;
constexpr uint64_t kKernelVersion = 0x20E;
constexpr uint64_t kPayloadOffset = 0x248;
constexpr uint64_t kPayloadLength = 0x24C;
constexpr uint64_t kHeaderEnd = 0x250;
// arm64 Image header (Documentation/arch/arm64/booting.rst).
constexpr uint64_t kArm64Magic = 0x38;
constexpr size_t kMaxVersion = 512;

class Reader {
 public:
  Reader(const std::filesystem::path& path, UniqueFd fd, uint64_t size)
      : path_(path), fd_(std::move(fd)), size_(size) {}
  uint64_t size() const { return size_; }

  // Up to `n` bytes at `off` (fewer at the end of the file).
  Result<std::string> read(uint64_t off, size_t n) const {
    std::string out;
    if (off >= size_) return out;
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - off));
    out.resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_.get(), out.data() + done, n - done, static_cast<off_t>(off + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno_error("cannot read", path_);
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    out.resize(done);
    return out;
  }

 private:
  const std::filesystem::path& path_;
  UniqueFd fd_;
  uint64_t size_;
};

uint32_t le(const std::string& b, size_t off, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[off + i]);
  return v;
}

Error bad(const std::filesystem::path& path, const std::string& what) {
  return make_error(path.string() + ": " + what);
}

// A kernel version string is printable ASCII and starts with a digit.
std::optional<std::string> clean_version(std::string_view raw) {
  size_t end = 0;
  while (end < raw.size() && raw[end] != '\0' && raw[end] != '\n') ++end;
  raw = raw.substr(0, end);
  if (raw.empty() || raw[0] < '0' || raw[0] > '9') return std::nullopt;
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      return std::nullopt;
    }
  }
  return std::string(raw);
}

std::string first_word(const std::string& s) { return s.substr(0, s.find(' ')); }

// Finds "Linux version " followed by a valid version string, reading the
// file in chunks (an uncompressed kernel keeps the banner in .rodata).
Result<std::optional<std::string>> scan_banner(const Reader& r) {
  constexpr std::string_view kBanner = "Linux version ";
  constexpr size_t kChunk = 1 << 20;
  const size_t overlap = kBanner.size() + kMaxVersion;
  for (uint64_t off = 0; off < r.size(); off += kChunk) {
    auto chunk = r.read(off, kChunk + overlap);
    if (!chunk) return chunk.error();
    size_t pos = 0;
    while ((pos = chunk->find(kBanner, pos)) != std::string::npos && pos < kChunk) {
      std::string_view rest = std::string_view(*chunk).substr(pos + kBanner.size(), kMaxVersion);
      if (auto v = clean_version(rest)) return std::optional<std::string>(*v);
      pos += kBanner.size();
    }
  }
  return std::optional<std::string>();
}

// The end of the Authenticode certificate table of an EFI-stub bzImage
// ("MZ" with a PE32+ header), or 0 when there is none.
Result<uint64_t> pe_certificate_end(const Reader& r, const std::string& hdr) {
  if (hdr.compare(0, 2, "MZ") != 0) return uint64_t{0};
  const uint64_t pe = le(hdr, 0x3C, 4);
  auto pe_hdr = r.read(pe, 24 + 112 + 5 * 8);  // signature, COFF, optional header to dir 4
  if (!pe_hdr) return pe_hdr.error();
  if (pe_hdr->size() < 24 + 112 + 5 * 8 || pe_hdr->compare(0, 4, std::string("PE\0\0", 4)) != 0 ||
      le(*pe_hdr, 24, 2) != 0x20b) {
    return uint64_t{0};
  }
  const uint32_t dirs = le(*pe_hdr, 24 + 108, 4);  // NumberOfRvaAndSizes
  if (dirs < 5) return uint64_t{0};
  const uint64_t off = le(*pe_hdr, 24 + 112 + 4 * 8, 4);  // the security directory is a file offset
  const uint64_t size = le(*pe_hdr, 24 + 112 + 4 * 8 + 4, 4);
  return size ? off + size : 0;
}

Result<KernelImage> inspect_bzimage(const std::filesystem::path& path, const Reader& r,
                                    const std::string& hdr) {
  KernelImage img;
  img.path = path;
  img.arch = "x86_64";
  img.format = "bzImage";
  img.boot_protocol = le(hdr, kVersion, 2);
  if (img.boot_protocol < 0x0200) {
    return bad(path, "boot protocol " + std::to_string(img.boot_protocol) +
                         " is too old (no kernel_version field)");
  }
  uint64_t setup_sects = static_cast<unsigned char>(hdr[kSetupSects]);
  if (setup_sects == 0) setup_sects = 4;
  const uint64_t setup_size = (setup_sects + 1) * 512;
  const uint64_t syssize = img.boot_protocol >= 0x0204 ? le(hdr, kSysSize, 4) : le(hdr, kSysSize, 2);
  const uint64_t expected = setup_size + syssize * 16;
  if (r.size() < expected) {
    return bad(path, "truncated bzImage: the header says " + std::to_string(expected) +
                         " bytes, the file has " + std::to_string(r.size()));
  }

  // A signed (EFI stub) kernel ends with its Authenticode signature, past
  // syssize: the PE certificate table says where it ends.
  auto pe_end = pe_certificate_end(r, hdr);
  if (!pe_end) return pe_end.error();
  if (*pe_end > r.size()) {
    return bad(path, "truncated bzImage: its PE signature ends at byte " + std::to_string(*pe_end) +
                         ", the file has " + std::to_string(r.size()));
  }

  const uint32_t kv = le(hdr, kKernelVersion, 2);
  if (kv == 0) return bad(path, "bzImage has no kernel_version pointer");
  auto raw = r.read(uint64_t{kv} + 0x200, kMaxVersion);
  if (!raw) return raw.error();
  auto version = clean_version(*raw);
  if (!version) return bad(path, "bzImage kernel_version does not point at a version string");
  img.version = *version;
  img.release = first_word(img.version);

  img.compression = "unknown";
  if (img.boot_protocol >= 0x0208) {
    const uint64_t payload_off = le(hdr, kPayloadOffset, 4);
    const uint64_t payload_len = le(hdr, kPayloadLength, 4);
    if (setup_size + payload_off + payload_len > r.size()) {
      return bad(path, "truncated bzImage: the compressed payload runs past the end of the file");
    }
    auto magic = r.read(setup_size + payload_off, 6);
    if (!magic) return magic.error();
    img.compression = compression_from_magic(*magic);
  }
  return img;
}

Result<KernelImage> inspect_arm64(const std::filesystem::path& path, const Reader& r) {
  KernelImage img;
  img.path = path;
  img.arch = "arm64";
  img.format = "Image";
  img.compression = "none";
  auto v = scan_banner(r);
  if (!v) return v.error();
  if (!*v) return bad(path, "arm64 Image without a \"Linux version\" banner (truncated?)");
  img.version = **v;
  img.release = first_word(img.version);
  return img;
}

Result<KernelImage> inspect_elf(const std::filesystem::path& path, const Reader& r,
                                const std::string& hdr) {
  if (hdr.size() < 20) return bad(path, "truncated ELF header");
  if (hdr[4] != 2) return bad(path, "32-bit ELF, not a 64-bit vmlinux");
  if (hdr[5] != 1) return bad(path, "big-endian ELF is not supported");
  KernelImage img;
  img.path = path;
  img.format = "elf";
  img.compression = "none";
  switch (le(hdr, 18, 2)) {
    case 62: img.arch = "x86_64"; break;
    case 183: img.arch = "arm64"; break;
    default: return bad(path, "ELF for machine " + std::to_string(le(hdr, 18, 2)) +
                                  ", not x86_64 or arm64");
  }
  auto v = scan_banner(r);
  if (!v) return v.error();
  if (!*v) return bad(path, "ELF file without a \"Linux version\" banner: not a vmlinux?");
  img.version = **v;
  img.release = first_word(img.version);
  return img;
}

}  // namespace

std::string compression_from_magic(std::string_view d) {
  auto starts = [&](std::string_view m) { return d.substr(0, m.size()) == m; };
  using namespace std::string_view_literals;
  if (starts("\x1f\x8b"sv)) return "gzip";
  if (starts("\xfd" "7zXZ\0"sv)) return "xz";
  if (starts("\x28\xb5\x2f\xfd"sv)) return "zstd";
  if (starts("\x02\x21\x4c\x18"sv)) return "lz4";
  if (starts("\x5d\x00\x00"sv)) return "lzma";
  if (starts("BZh"sv)) return "bzip2";
  return "unknown";
}

Result<KernelImage> inspect_image(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("cannot open kernel image", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return bad(path, "not a regular file");
  Reader r(path, std::move(fd), static_cast<uint64_t>(st.st_size));
  if (r.size() == 0) return bad(path, "empty file, not a kernel image");

  auto hdr = r.read(0, kHeaderEnd);
  if (!hdr) return hdr.error();
  if (hdr->size() >= 4 && hdr->compare(0, 4, "\x7f" "ELF") == 0) return inspect_elf(path, r, *hdr);
  if (hdr->size() >= kArm64Magic + 4 && hdr->compare(kArm64Magic, 4, "ARM\x64") == 0) {
    return inspect_arm64(path, r);
  }
  const bool has_boot_flag = hdr->size() >= kBootFlag + 2 && le(*hdr, kBootFlag, 2) == 0xAA55;
  const bool has_hdrs = hdr->size() >= kHeaderMagic + 4 && hdr->compare(kHeaderMagic, 4, "HdrS") == 0;
  if (has_boot_flag && has_hdrs) {
    if (hdr->size() < kHeaderEnd) return bad(path, "truncated bzImage header");
    return inspect_bzimage(path, r, *hdr);
  }
  if (has_boot_flag || has_hdrs) {
    return bad(path, "looks like an x86 boot sector but the setup header is incomplete "
                     "(no HdrS magic or no 0xAA55 boot flag)");
  }
  if (r.size() < kHeaderEnd) {
    return bad(path, "only " + std::to_string(r.size()) +
                         " bytes: not a kernel image (bzImage, arm64 Image or ELF vmlinux)");
  }
  return bad(path, "not a kernel image: no bzImage header (0xAA55 at 0x1FE and \"HdrS\" at "
                   "0x202), no arm64 Image magic and no ELF magic");
}

}  // namespace kgrid::kernels
