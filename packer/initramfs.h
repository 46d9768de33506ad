// The initramfs a guest boots: a base archive (init, testrunner, probes;
// the same for every kernel, compressed, cached by content hash) followed by
// a small uncompressed overlay (per-kernel files such as /kgrid/plan). The
// kernel unpacks the concatenated segments in order into one rootfs.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "packer/compress.h"
#include "packer/cpio.h"

namespace kgrid::packer {

// Bump when the archive layout or the cache key changes meaning.
inline constexpr int kInitramfsFormatVersion = 1;

struct BaseArchive {
  std::filesystem::path path;  // <cache_dir>/initramfs/<key>.cpio[.gz|.zst]
  std::string key;             // hex SHA-256
  bool cache_hit = false;
};

// The cache key: SHA-256 of the format version, the compression name and
// level, and the canonical (sorted, normalized) cpio bytes of `entries`.
Result<std::string> base_cache_key(std::string_view cpio, Compression c, int level);

// Builds (or finds) the compressed base archive under `cache_dir`. The file
// is written to a temp file and renamed, so racing processes are safe.
// level 0 = default_level(c).
Result<BaseArchive> build_base(std::vector<Entry> entries, Compression c,
                               const std::filesystem::path& cache_dir, int level = 0);

// The per-kernel overlay: an uncompressed cpio.
Result<std::string> build_overlay(std::vector<Entry> entries);

// Writes base, zero padding to a multiple of 4 bytes (the kernel only
// looks for a cpio magic at 4-aligned offsets after a compressed segment),
// then the overlay, atomically to `out`.
Status assemble(const std::filesystem::path& base, std::string_view overlay,
                const std::filesystem::path& out);

// A File entry with the bytes of a host file: mode 0755 if the host file has
// any exec bit, else 0644.
Result<Entry> file_entry_from_host(const std::filesystem::path& host_path,
                                   std::string archive_path);

}  // namespace kgrid::packer
