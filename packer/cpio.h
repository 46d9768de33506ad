// A cpio "newc" (magic 070701) writer: the format the kernel unpacks into
// rootfs at boot. Output is deterministic: entries are sorted by path, all
// timestamps and owners are zero and inode numbers follow the sorted order,
// so identical input gives identical bytes whatever the insertion order.
// Device nodes are plain header fields, so no root is needed to build one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::packer {

enum class EntryKind : uint8_t { Directory, File, Symlink, CharDevice, BlockDevice };

struct Entry {
  EntryKind kind = EntryKind::File;
  std::string path;      // archive path; a leading '/' is optional
  uint32_t mode = 0644;  // permission bits only (07777); the type comes from kind
  std::string data;      // file contents, or the symlink target
  uint32_t major = 0;    // device nodes only
  uint32_t minor = 0;

  static Entry directory(std::string path, uint32_t mode = 0755);
  static Entry file(std::string path, std::string data, uint32_t mode = 0644);
  static Entry symlink(std::string path, std::string target);
  static Entry char_device(std::string path, uint32_t major, uint32_t minor, uint32_t mode = 0600);
  static Entry block_device(std::string path, uint32_t major, uint32_t minor,
                            uint32_t mode = 0600);

  bool operator==(const Entry&) const = default;
};

// "/dev//console" -> "dev/console". Rejects empty paths, "." and "..".
Result<std::string> normalize_path(std::string_view path);

// The canonical entry list: paths normalized, sorted by path, missing parent
// directories added (0755), exact duplicates dropped. Fails on two different
// entries for one path, a parent that is not a directory, bad modes, or a
// file larger than the format's 4 GiB limit.
Result<std::vector<Entry>> normalize_entries(std::vector<Entry> entries);

// The whole archive, ending with the TRAILER!!! entry; its length is a
// multiple of 4.
Result<std::string> write_cpio(std::vector<Entry> entries);

}  // namespace kgrid::packer
