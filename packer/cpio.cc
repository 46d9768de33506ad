#include "packer/cpio.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace kgrid::packer {
namespace {

// The newc header: ASCII magic then 13 fields of 8 hex digits, no NULs.
struct NewcHeader {
  char magic[6];
  char ino[8];
  char mode[8];
  char uid[8];
  char gid[8];
  char nlink[8];
  char mtime[8];
  char filesize[8];
  char devmajor[8];  // device holding the file: always 0 here
  char devminor[8];
  char rdevmajor[8];  // device number of a device node
  char rdevminor[8];
  char namesize[8];  // including the terminating NUL
  char check[8];     // only used by the 070702 "crc" variant: 0
};
static_assert(sizeof(NewcHeader) == 110, "newc header must be 110 bytes");

void put_hex(char (&field)[8], uint32_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (int i = 7; i >= 0; --i) {
    field[i] = kDigits[value & 0xf];
    value >>= 4;
  }
}

constexpr size_t pad4(size_t n) { return (4 - (n & 3)) & 3; }

uint32_t type_bits(EntryKind kind) {
  switch (kind) {
    case EntryKind::Directory: return S_IFDIR;
    case EntryKind::File: return S_IFREG;
    case EntryKind::Symlink: return S_IFLNK;
    case EntryKind::CharDevice: return S_IFCHR;
    case EntryKind::BlockDevice: return S_IFBLK;
  }
  return 0;
}

struct Record {
  uint32_t ino = 0;
  uint32_t mode = 0;  // type | permissions
  uint32_t nlink = 1;
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::string_view name;
  std::string_view data;
};

void append_record(std::string& out, const Record& r) {
  NewcHeader h;
  std::memcpy(h.magic, "070701", 6);
  put_hex(h.ino, r.ino);
  put_hex(h.mode, r.mode);
  put_hex(h.uid, 0);
  put_hex(h.gid, 0);
  put_hex(h.nlink, r.nlink);
  put_hex(h.mtime, 0);
  put_hex(h.filesize, static_cast<uint32_t>(r.data.size()));
  put_hex(h.devmajor, 0);
  put_hex(h.devminor, 0);
  put_hex(h.rdevmajor, r.rdev_major);
  put_hex(h.rdevminor, r.rdev_minor);
  put_hex(h.namesize, static_cast<uint32_t>(r.name.size() + 1));
  put_hex(h.check, 0);
  out.append(reinterpret_cast<const char*>(&h), sizeof(h));
  out.append(r.name);
  out.append(1 + pad4(sizeof(h) + r.name.size() + 1), '\0');
  out.append(r.data);
  out.append(pad4(r.data.size()), '\0');
}

Status check_entry(const Entry& e) {
  if (e.mode & ~07777u) {
    return make_error("cpio: " + e.path + ": mode has bits outside 07777");
  }
  if (e.data.size() > 0xffffffffu) {
    return make_error("cpio: " + e.path + ": larger than the newc limit of 4 GiB");
  }
  if (e.kind == EntryKind::Symlink && e.data.empty()) {
    return make_error("cpio: " + e.path + ": symlink with an empty target");
  }
  if (e.kind != EntryKind::File && e.kind != EntryKind::Symlink && !e.data.empty()) {
    return make_error("cpio: " + e.path + ": only files and symlinks carry data");
  }
  return ok_status();
}

}  // namespace

Entry Entry::directory(std::string path, uint32_t mode) {
  return Entry{EntryKind::Directory, std::move(path), mode, {}, 0, 0};
}
Entry Entry::file(std::string path, std::string data, uint32_t mode) {
  return Entry{EntryKind::File, std::move(path), mode, std::move(data), 0, 0};
}
Entry Entry::symlink(std::string path, std::string target) {
  return Entry{EntryKind::Symlink, std::move(path), 0777, std::move(target), 0, 0};
}
Entry Entry::char_device(std::string path, uint32_t major, uint32_t minor, uint32_t mode) {
  return Entry{EntryKind::CharDevice, std::move(path), mode, {}, major, minor};
}
Entry Entry::block_device(std::string path, uint32_t major, uint32_t minor, uint32_t mode) {
  return Entry{EntryKind::BlockDevice, std::move(path), mode, {}, major, minor};
}

Result<std::string> normalize_path(std::string_view path) {
  std::string out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    if (part == "." || part == "..") {
      return make_error("cpio: path '" + std::string(path) + "' has a '.' or '..' component");
    }
    if (part.find('\0') != std::string_view::npos) {
      return make_error("cpio: path contains a NUL byte");
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  if (out.empty()) return make_error("cpio: empty path '" + std::string(path) + "'");
  return out;
}

Result<std::vector<Entry>> normalize_entries(std::vector<Entry> entries) {
  std::map<std::string, Entry> by_path;
  for (Entry& e : entries) {
    auto path = normalize_path(e.path);
    if (!path) return path.error();
    e.path = std::move(*path);
    if (Status s = check_entry(e); !s) return s.error();
    if (auto it = by_path.find(e.path); it != by_path.end()) {
      if (!(it->second == e)) return make_error("cpio: two different entries for '" + e.path + "'");
      continue;
    }
    std::string key = e.path;
    by_path.emplace(std::move(key), std::move(e));
  }
  // Add missing parents; the map is sorted, so a parent precedes its children.
  std::vector<std::string> missing;
  for (const auto& [path, entry] : by_path) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      auto it = by_path.find(parent);
      if (it == by_path.end()) {
        missing.push_back(std::move(parent));
      } else if (it->second.kind != EntryKind::Directory) {
        return make_error("cpio: '" + path + "' is below '" + parent +
                          "', which is not a directory");
      }
    }
  }
  for (std::string& p : missing) by_path.try_emplace(p, Entry::directory(p));

  std::vector<Entry> out;
  out.reserve(by_path.size());
  for (auto& [path, entry] : by_path) out.push_back(std::move(entry));
  return out;
}

Result<std::string> write_cpio(std::vector<Entry> input) {
  auto entries = normalize_entries(std::move(input));
  if (!entries) return entries.error();

  size_t total = 128;
  for (const Entry& e : *entries) total += sizeof(NewcHeader) + e.path.size() + e.data.size() + 8;
  std::string out;
  out.reserve(total);

  uint32_t ino = 0;
  for (const Entry& e : *entries) {
    Record r;
    r.ino = ++ino;
    r.mode = type_bits(e.kind) | e.mode;
    r.nlink = e.kind == EntryKind::Directory ? 2 : 1;
    if (e.kind == EntryKind::CharDevice || e.kind == EntryKind::BlockDevice) {
      r.rdev_major = e.major;
      r.rdev_minor = e.minor;
    }
    r.name = e.path;
    r.data = e.data;
    append_record(out, r);
  }
  Record trailer;
  trailer.name = "TRAILER!!!";
  append_record(out, trailer);
  return out;
}

}  // namespace kgrid::packer
