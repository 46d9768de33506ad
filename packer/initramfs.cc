#include "packer/initramfs.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "util/files.h"
#include "packer/sha256.h"

namespace kgrid::packer {

Result<std::string> base_cache_key(std::string_view cpio, Compression c, int level) {
  if (level == 0) level = default_level(c);
  std::string header = "kgrid-initramfs\n";
  header += "format " + std::to_string(kInitramfsFormatVersion) + "\n";
  header += "compression " + std::string(compression_name(c)) + " " + std::to_string(level) + "\n";
  header += "cpio " + std::to_string(cpio.size()) + "\n";
  return sha256_hex({header, cpio});
}

Result<BaseArchive> build_base(std::vector<Entry> entries, Compression c,
                               const std::filesystem::path& cache_dir, int level) {
  if (level == 0) level = default_level(c);
  auto cpio = write_cpio(std::move(entries));
  if (!cpio) return cpio.error();
  auto key = base_cache_key(*cpio, c, level);
  if (!key) return key.error();

  std::filesystem::path dir = cache_dir / "initramfs";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("initramfs: create " + dir.string() + ": " + ec.message());

  BaseArchive out;
  out.key = *key;
  out.path = dir / (*key + ".cpio" + std::string(compression_suffix(c)));
  // Files only appear under their final name complete (rename), so an
  // existing one is a hit.
  struct stat st {};
  if (::stat(out.path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    out.cache_hit = true;
    return out;
  }
  auto packed = compress(*cpio, c, level);
  if (!packed) return make_error("initramfs: " + packed.error().message);
  if (Status s = write_file_atomic(out.path, {*packed}); !s) return s.error();
  return out;
}

Result<std::string> build_overlay(std::vector<Entry> entries) {
  return write_cpio(std::move(entries));
}

Status assemble(const std::filesystem::path& base, std::string_view overlay,
                const std::filesystem::path& out) {
  auto bytes = read_file(base);
  if (!bytes) return bytes.error();
  std::string padding((4 - (bytes->size() & 3)) & 3, '\0');
  return write_file_atomic(out, {*bytes, padding, overlay});
}

Result<Entry> file_entry_from_host(const std::filesystem::path& host_path,
                                   std::string archive_path) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0) {
    return make_error("stat " + host_path.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return make_error(host_path.string() + ": not a regular file");
  auto bytes = read_file(host_path);
  if (!bytes) return bytes.error();
  uint32_t mode = (st.st_mode & 0111) ? 0755 : 0644;
  return Entry::file(std::move(archive_path), std::move(*bytes), mode);
}

}  // namespace kgrid::packer
