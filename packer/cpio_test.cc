#include "packer/cpio.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "util/files.h"
#include "packer/test_support.h"

namespace kgrid::packer {
namespace {

using testing::quote;
using testing::run;
using testing::TempDir;

std::vector<Entry> sample_entries() {
  return {
      Entry::directory("/bin"),
      Entry::file("/bin/tool", "#!/bin/sh\necho tool\n", 0755),
      Entry::symlink("/bin/sh", "tool"),
      Entry::file("/etc/motd", "hello\n"),          // /etc is implied
      Entry::file("/kgrid/empty", ""),               // empty file
      Entry::char_device("/dev/console", 5, 1),
      Entry::block_device("/dev/vda", 254, 0, 0660),
      Entry::directory("/tmp", 01777),
  };
}

std::filesystem::path write_archive(const TempDir& dir, const std::string& bytes,
                                    const std::string& name = "a.cpio") {
  auto path = dir / name;
  REQUIRE(write_file_atomic(path, {bytes}).ok());
  return path;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("normalize_path") {
  CHECK(*normalize_path("/dev/console") == "dev/console");
  CHECK(*normalize_path("dev//console/") == "dev/console");
  CHECK(*normalize_path("init") == "init");
  CHECK_FALSE(normalize_path("/").ok());
  CHECK_FALSE(normalize_path("").ok());
  CHECK_FALSE(normalize_path("a/../b").ok());
  CHECK_FALSE(normalize_path("./a").ok());
}

TEST_CASE("cpio: exact bytes of a one-file archive") {
  auto bytes = write_cpio({Entry::file("/a", "hi")});
  REQUIRE(bytes.ok());
  std::string expected =
      "070701" "00000001" "000081A4" "00000000" "00000000" "00000001" "00000000"
      "00000002" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000";
  expected += std::string("a\0", 2);  // 110 + 2 = 112: already aligned
  expected += std::string("hi\0\0", 4);
  expected +=
      "070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
      "00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000";
  expected += std::string("TRAILER!!!\0\0\0\0", 14);  // 110 + 11 + 3 = 124
  CHECK(*bytes == expected);
}

TEST_CASE("cpio: an empty archive is just the trailer and GNU cpio reads it") {
  auto bytes = write_cpio({});
  REQUIRE(bytes.ok());
  CHECK(bytes->size() == 124);
  TempDir dir;
  auto r = run("cpio -it < " + quote(write_archive(dir, *bytes)) + " 2>/dev/null");
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
}

TEST_CASE("cpio: GNU cpio lists names, modes, symlinks and device nodes") {
  auto bytes = write_cpio(sample_entries());
  REQUIRE(bytes.ok());
  CHECK(bytes->size() % 4 == 0);
  CHECK(bytes->compare(0, 6, "070701") == 0);
  TempDir dir;
  auto archive = write_archive(dir, *bytes);

  auto names = run("cpio -it < " + quote(archive) + " 2>/dev/null");
  REQUIRE(names.exit_code == 0);
  CHECK(lines(names.out) == std::vector<std::string>{
                                "bin", "bin/sh", "bin/tool", "dev", "dev/console", "dev/vda",
                                "etc", "etc/motd", "kgrid", "kgrid/empty", "tmp"});

  auto listing = run("cpio -itv < " + quote(archive) + " 2>/dev/null");
  REQUIRE(listing.exit_code == 0);
  auto expect_line = [&](const std::string& pattern) {
    std::regex re(pattern);
    bool found = false;
    for (const auto& line : lines(listing.out)) found = found || std::regex_match(line, re);
    INFO("pattern: " << pattern << "\nlisting:\n" << listing.out);
    CHECK(found);
  };
  expect_line(R"(drwxr-xr-x +2 root +root +0 .* bin)");
  expect_line(R"(-rwxr-xr-x +1 root +root +20 .* bin/tool)");
  expect_line(R"(lrwxrwxrwx +1 root +root +4 .* bin/sh -> tool)");
  expect_line(R"(crw------- +1 root +root +5, +1 .* dev/console)");
  expect_line(R"(brw-rw---- +1 root +root +254, +0 .* dev/vda)");
  expect_line(R"(drwxr-xr-x +2 root +root +0 .* etc)");  // implied parent
  expect_line(R"(-rw-r--r-- +1 root +root +6 .* etc/motd)");
  expect_line(R"(-rw-r--r-- +1 root +root +0 .* kgrid/empty)");
  expect_line(R"(drwxrwxrwt +2 root +root +0 .* tmp)");
  expect_line(R"(.* 1970 bin/tool)");  // mtime 0
}

TEST_CASE("cpio: GNU cpio extracts contents, modes and symlink targets") {
  auto bytes = write_cpio(sample_entries());
  REQUIRE(bytes.ok());
  TempDir dir;
  auto archive = write_archive(dir, *bytes);
  auto root = dir / "root";
  std::filesystem::create_directory(root);
  // mknod needs root; without it, leave the device nodes out.
  std::string skip_devices = ::geteuid() == 0 ? "" : " -f 'dev/console' 'dev/vda'";
  auto r = run("cd " + quote(root) + " && cpio -idm" + skip_devices + " < " + quote(archive) +
               " 2>/dev/null");
  REQUIRE(r.exit_code == 0);

  CHECK(*read_file(root / "bin/tool") == "#!/bin/sh\necho tool\n");
  CHECK(*read_file(root / "etc/motd") == "hello\n");
  CHECK(read_file(root / "kgrid/empty")->empty());
  CHECK(std::filesystem::read_symlink(root / "bin/sh") == "tool");
  struct stat st {};
  REQUIRE(::stat((root / "bin/tool").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  REQUIRE(::stat((root / "etc/motd").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  CHECK(st.st_mtime == 0);
  REQUIRE(::stat((root / "tmp").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 01777);
  if (::geteuid() == 0) {
    REQUIRE(::lstat((root / "dev/console").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(major(st.st_rdev) == 5);
    CHECK(minor(st.st_rdev) == 1);
    REQUIRE(::lstat((root / "dev/vda").c_str(), &st) == 0);
    CHECK(S_ISBLK(st.st_mode));
    CHECK(major(st.st_rdev) == 254);
  }
}

TEST_CASE("cpio: byte-identical whatever the insertion order") {
  auto entries = sample_entries();
  auto first = write_cpio(entries);
  REQUIRE(first.ok());
  std::reverse(entries.begin(), entries.end());
  CHECK(*write_cpio(entries) == *first);
  std::rotate(entries.begin(), entries.begin() + 3, entries.end());
  CHECK(*write_cpio(entries) == *first);
  // Listing an implied parent explicitly with the default mode changes nothing.
  entries.push_back(Entry::directory("etc"));
  entries.push_back(Entry::file("etc/motd", "hello\n"));  // exact duplicate
  CHECK(*write_cpio(entries) == *first);
}

TEST_CASE("cpio: inode numbers follow the sorted order") {
  auto bytes = write_cpio({Entry::file("b", "x"), Entry::file("a", "y")});
  REQUIRE(bytes.ok());
  // First record is "a" with ino 1; the second header starts at 112 + 4.
  CHECK(bytes->substr(6, 8) == "00000001");
  CHECK(bytes->substr(110, 2) == std::string("a\0", 2));
  CHECK(bytes->substr(116, 6) == "070701");
  CHECK(bytes->substr(116 + 6, 8) == "00000002");
}

TEST_CASE("cpio: rejects inconsistent input") {
  CHECK_FALSE(write_cpio({Entry::file("a", "1"), Entry::file("/a", "2")}).ok());
  CHECK_FALSE(write_cpio({Entry::file("a", "1"), Entry::file("a/b", "2")}).ok());
  CHECK_FALSE(write_cpio({Entry::symlink("lib", "usr/lib"), Entry::file("lib/x", "")}).ok());
  CHECK_FALSE(write_cpio({Entry::file("a", "", 0100644)}).ok());
  CHECK_FALSE(write_cpio({Entry::symlink("a", "")}).ok());
  CHECK_FALSE(write_cpio({Entry::file("../etc/passwd", "")}).ok());
  auto err = write_cpio({Entry::directory("d", 0755), Entry::directory("d", 0700)});
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().message.find("'d'") != std::string::npos);
}

}  // namespace kgrid::packer
