#include "packer/initramfs.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "util/files.h"
#include "packer/test_support.h"

namespace kgrid::packer {
namespace {

using testing::quote;
using testing::run;
using testing::TempDir;

std::vector<Entry> base_entries(const std::string& init = "#!/bin/sh\nexec /kgrid/bin/x\n") {
  return {
      Entry::file("/init", init, 0755),
      Entry::char_device("/dev/console", 5, 1),
      Entry::char_device("/dev/null", 1, 3, 0666),
      Entry::file("/kgrid/bin/kgrid-testrunner", std::string(5000, 'r'), 0755),
      Entry::directory("/proc"),
      Entry::directory("/sys"),
  };
}

std::vector<std::string> list(const std::filesystem::path& cpio) {
  auto r = run("cpio -it < " + quote(cpio) + " 2>/dev/null");
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < r.out.size()) {
    size_t end = r.out.find('\n', pos);
    names.push_back(r.out.substr(pos, end - pos));
    pos = end + 1;
  }
  return names;
}

size_t count_files(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("build_base: miss, then hit with the same key and file") {
  TempDir cache;
  auto first = build_base(base_entries(), Compression::Zstd, cache.path());
  REQUIRE(first.ok());
  CHECK_FALSE(first->cache_hit);
  CHECK(first->key.size() == 64);
  CHECK(first->path == cache / "initramfs" / (first->key + ".cpio.zst"));
  CHECK(std::filesystem::exists(first->path));

  auto entries = base_entries();
  std::reverse(entries.begin(), entries.end());
  auto second = build_base(entries, Compression::Zstd, cache.path());
  REQUIRE(second.ok());
  CHECK(second->cache_hit);
  CHECK(second->key == first->key);
  CHECK(second->path == first->path);
  CHECK(count_files(cache / "initramfs") == 1);  // no temp files left behind

  SUBCASE("other content, method or level: another key") {
    auto other = build_base(base_entries("#!/bin/sh\n"), Compression::Zstd, cache.path());
    REQUIRE(other.ok());
    CHECK_FALSE(other->cache_hit);
    CHECK(other->key != first->key);
    auto gz = build_base(base_entries(), Compression::Gzip, cache.path());
    REQUIRE(gz.ok());
    CHECK_FALSE(gz->cache_hit);
    CHECK(gz->path.extension() == ".gz");
    auto level = build_base(base_entries(), Compression::Zstd, cache.path(), 3);
    REQUIRE(level.ok());
    CHECK(level->key != first->key);
    auto none = build_base(base_entries(), Compression::None, cache.path());
    REQUIRE(none.ok());
    CHECK(none->path.filename() == none->key + ".cpio");
    CHECK(count_files(cache / "initramfs") == 5);
  }
  SUBCASE("the default level and level 0 share a key") {
    auto explicit_level =
        build_base(base_entries(), Compression::Zstd, cache.path(), default_level(Compression::Zstd));
    REQUIRE(explicit_level.ok());
    CHECK(explicit_level->cache_hit);
  }
}

TEST_CASE("build_base: the cached file decompresses to the listed archive") {
  TempDir cache;
  for (auto c : {Compression::Zstd, Compression::Gzip}) {
    auto base = build_base(base_entries(), c, cache.path());
    REQUIRE(base.ok());
    auto plain = cache / "plain.cpio";
    std::string tool = c == Compression::Zstd ? "zstd" : "gzip";
    REQUIRE(run(tool + " -d -c < " + quote(base->path) + " > " + quote(plain)).exit_code == 0);
    CHECK(list(plain) == std::vector<std::string>{"dev", "dev/console", "dev/null", "init",
                                                   "kgrid", "kgrid/bin",
                                                   "kgrid/bin/kgrid-testrunner", "proc", "sys"});
    CHECK(*read_file(plain) == *write_cpio(base_entries()));
  }
}

TEST_CASE("build_base: concurrent builders of one key both succeed") {
  TempDir cache;
  Result<BaseArchive> a = make_error("not run"), b = make_error("not run");
  std::thread t1([&] { a = build_base(base_entries(), Compression::Zstd, cache.path()); });
  std::thread t2([&] { b = build_base(base_entries(), Compression::Zstd, cache.path()); });
  t1.join();
  t2.join();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->path == b->path);
  CHECK(count_files(cache / "initramfs") == 1);
  CHECK(run("zstd -t -q " + quote(a->path)).exit_code == 0);
}

TEST_CASE("assemble: compressed base, zero padding to 4 bytes, then the overlay") {
  auto overlay = build_overlay({Entry::file("/kgrid/plan", "kgrid-plan 1\nend\n")});
  REQUIRE(overlay.ok());
  for (auto c : {Compression::Zstd, Compression::Gzip, Compression::None}) {
    CAPTURE(compression_name(c));
    TempDir dir;
    // Find a base whose size is not a multiple of 4, so padding is exercised
    // (an uncompressed cpio is always aligned).
    Result<BaseArchive> base = make_error("none");
    for (int i = 0; i < 16; ++i) {
      base = build_base(base_entries(std::string(i, 'x')), c, dir.path());
      REQUIRE(base.ok());
      if (c == Compression::None || std::filesystem::file_size(base->path) % 4 != 0) break;
    }
    size_t base_size = std::filesystem::file_size(base->path);
    if (c != Compression::None) REQUIRE(base_size % 4 != 0);

    auto out = dir / "initrd.img";
    REQUIRE(assemble(base->path, *overlay, out).ok());
    std::string all = *read_file(out);
    size_t overlay_at = (base_size + 3) / 4 * 4;
    REQUIRE(all.size() == overlay_at + overlay->size());
    CHECK(all.substr(0, base_size) == *read_file(base->path));
    CHECK(all.substr(base_size, overlay_at - base_size) == std::string(overlay_at - base_size, '\0'));
    CHECK(all.substr(overlay_at) == *overlay);

    // Read each segment with the independent tools (GNU cpio stops at the
    // first trailer, so segments are read separately).
    auto seg1 = dir / "seg1";
    auto seg2 = dir / "seg2.cpio";
    REQUIRE(write_file_atomic(seg1, {std::string_view(all).substr(0, base_size)}).ok());
    REQUIRE(write_file_atomic(seg2, {std::string_view(all).substr(overlay_at)}).ok());
    auto plain = dir / "seg1.cpio";
    std::string decompress = c == Compression::Zstd ? "zstd -d -c"
                             : c == Compression::Gzip ? "gzip -d -c"
                                                      : "cat";
    REQUIRE(run(decompress + " < " + quote(seg1) + " > " + quote(plain)).exit_code == 0);
    auto names = list(plain);
    CHECK(std::find(names.begin(), names.end(), "init") != names.end());
    CHECK(list(seg2) == std::vector<std::string>{"kgrid", "kgrid/plan"});
    auto extract = dir / "x";
    std::filesystem::create_directory(extract);
    REQUIRE(run("cd " + quote(extract) + " && cpio -idm < " + quote(seg2) + " 2>/dev/null")
                .exit_code == 0);
    CHECK(*read_file(extract / "kgrid/plan") == "kgrid-plan 1\nend\n");
  }
}

TEST_CASE("assemble: missing base is an error") {
  TempDir dir;
  CHECK_FALSE(assemble(dir / "nope", "", dir / "out").ok());
  CHECK_FALSE(std::filesystem::exists(dir / "out"));
}

TEST_CASE("file_entry_from_host keeps the exec bit") {
  TempDir dir;
  REQUIRE(write_file_atomic(dir / "tool", {"\x7f" "ELF"}).ok());
  REQUIRE(write_file_atomic(dir / "data", {"d"}).ok());
  ::chmod((dir / "tool").c_str(), 0700);
  ::chmod((dir / "data").c_str(), 0600);

  auto tool = file_entry_from_host(dir / "tool", "/kgrid/bin/tool");
  REQUIRE(tool.ok());
  CHECK(tool->kind == EntryKind::File);
  CHECK(tool->mode == 0755);
  CHECK(tool->data == "\x7f" "ELF");
  CHECK(tool->path == "/kgrid/bin/tool");
  auto data = file_entry_from_host(dir / "data", "etc/data");
  REQUIRE(data.ok());
  CHECK(data->mode == 0644);

  CHECK_FALSE(file_entry_from_host(dir / "missing", "x").ok());
  CHECK_FALSE(file_entry_from_host(dir.path(), "x").ok());
}

}  // namespace kgrid::packer
