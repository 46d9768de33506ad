#include "kernels/cache.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <optional>

#include "kernels/testing.h"

using namespace kgrid;
using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {
// Sets or unsets environment variables for one scope.
class EnvGuard {
 public:
  explicit EnvGuard(std::vector<std::string> names) : names_(std::move(names)) {
    for (auto& n : names_) {
      const char* v = std::getenv(n.c_str());
      saved_.push_back(v ? std::optional<std::string>(v) : std::nullopt);
    }
  }
  ~EnvGuard() {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (saved_[i]) ::setenv(names_[i].c_str(), saved_[i]->c_str(), 1);
      else ::unsetenv(names_[i].c_str());
    }
  }

 private:
  std::vector<std::string> names_;
  std::vector<std::optional<std::string>> saved_;
};
}  // namespace

TEST_CASE("the cache dir follows KGRID_CACHE_DIR, XDG_CACHE_HOME, HOME") {
  EnvGuard g({"KGRID_CACHE_DIR", "XDG_CACHE_HOME", "HOME"});
  ::setenv("KGRID_CACHE_DIR", "/c/kgrid-here", 1);
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  CHECK(*cache_dir() == fs::path("/c/kgrid-here"));
  ::setenv("KGRID_CACHE_DIR", "", 1);
  CHECK(*cache_dir() == fs::path("/xdg/kgrid"));
  ::unsetenv("XDG_CACHE_HOME");
  CHECK(*cache_dir() == fs::path("/home/u/.cache/kgrid"));
  ::unsetenv("HOME");
  CHECK_FALSE(cache_dir().ok());
}

TEST_CASE("atomic writes replace whole files and leave no temp files") {
  ScratchDir d;
  fs::path p = d.path() / "a" / "b" / "file";
  REQUIRE(write_file_atomic(p, "first").ok());
  REQUIRE(write_file_atomic(p, "second").ok());
  CHECK(*read_file(p) == "second");
  int n = 0;
  for (auto& e : fs::directory_iterator(p.parent_path())) n += e.is_regular_file();
  CHECK(n == 1);
  CHECK_FALSE(read_file(d.path() / "nope").ok());
  // A directory in the way is a clear error, and the temp file is gone.
  fs::create_directories(d.path() / "dir");
  fs::create_directories(d.path() / "dir" / "x");
  auto st = write_file_atomic(d.path() / "dir" / "x", "data");
  CHECK_FALSE(st.ok());
  n = 0;
  for (auto& e : fs::directory_iterator(d.path() / "dir")) (void)e, ++n;
  CHECK(n == 1);
}

TEST_CASE("a file lock excludes a second holder until released") {
  ScratchDir d;
  fs::path lock = d.path() / "locks" / "k.lock";
  {
    auto a = FileLock::acquire(lock);
    REQUIRE(a.ok());
    auto b = FileLock::try_acquire(lock);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find("held by another process") != std::string::npos);
  }
  CHECK(FileLock::try_acquire(lock).ok());
}

TEST_CASE("a temp path is removed unless released") {
  ScratchDir d;
  {
    TempPath t(d.path() / "t");
    fs::create_directories(t.path() / "inner");
  }
  CHECK_FALSE(fs::exists(d.path() / "t"));
  {
    TempPath t(d.path() / "kept");
    write_file(t.path(), "x");
    t.release();
  }
  CHECK(fs::exists(d.path() / "kept"));
}
