#include "util/files.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "util/quote.h"

namespace fs = std::filesystem;
using namespace kgrid;

TEST_CASE("write_file_atomic writes whole files, creates parents, leaves no temp file behind") {
  auto dir = TempDir::create("kgrid-util-test-");
  REQUIRE(dir);
  fs::path target = dir->path() / "a" / "b" / "out.txt";
  REQUIRE(write_file_atomic(target, {"one ", "two"}));
  CHECK(*read_file(target) == "one two");
  REQUIRE(write_file_atomic(target, "three"));
  CHECK(*read_file(target) == "three");
  struct stat st{};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  size_t entries = 0;
  for (auto& e : fs::directory_iterator(target.parent_path())) (void)e, ++entries;
  CHECK(entries == 1);
}

TEST_CASE("write_file_atomic fails with the path and the cause, and leaves the old file") {
  auto dir = TempDir::create("kgrid-util-test-");
  REQUIRE(dir);
  fs::path target = dir->path() / "kept";
  REQUIRE(write_file_atomic(target, "old"));
  fs::path blocker = dir->path() / "file";
  REQUIRE(write_file_atomic(blocker, "x"));
  Status st = write_file_atomic(blocker / "below", "new");  // a parent that is a file
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find(blocker.string()) != std::string::npos);
  CHECK(*read_file(target) == "old");
  auto missing = read_file(dir->path() / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("No such file") != std::string::npos);
}

TEST_CASE("a TempDir is private and goes away with its contents") {
  fs::path kept;
  {
    auto dir = TempDir::create("kgrid-util-test-");
    REQUIRE(dir);
    kept = dir->path();
    struct stat st{};
    REQUIRE(::stat(kept.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(write_file_atomic(kept / "x" / "y", "z"));
    TempDir moved = std::move(*dir);
    CHECK(fs::exists(moved.path() / "x" / "y"));
  }
  CHECK_FALSE(fs::exists(kept));
}

TEST_CASE("shell_quote leaves safe words and quotes the rest so a shell reads them back") {
  CHECK(shell_quote("qemu-system-x86_64") == "qemu-system-x86_64");
  CHECK(shell_quote("console=ttyS0,115200") == "console=ttyS0,115200");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote(std::vector<std::string>{"echo", "$HOME", "x"}) == "echo '$HOME' x");
}
