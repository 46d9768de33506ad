#include "vm/durations.h"

#include <doctest/doctest.h>

#include <fstream>
#include <unistd.h>

using namespace kgrid::host;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "kgrid-durations-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("the slowest known kernels start first, unknown ones last, in grid order") {
  Durations log = {{"tcg/b", 3.0}, {"tcg/c", 5.5}, {"tcg/e", 3.0}};
  std::vector<std::string> keys = {"tcg/a", "tcg/b", "tcg/c", "tcg/d", "tcg/e"};
  CHECK(longest_first(keys, log) == std::vector<size_t>{2, 1, 4, 0, 3});
  CHECK(longest_first(keys, {}) == std::vector<size_t>{0, 1, 2, 3, 4});
  CHECK(longest_first({}, log).empty());
}

TEST_CASE("the duration log merges, survives garbage and is written atomically") {
  TempDir dir;
  fs::path file = dir.path / "sub" / "durations.tsv";
  CHECK(read_durations(file).empty());  // missing: empty, not an error
  REQUIRE(update_durations(file, {{duration_key("tcg", "k1"), 4.25}, {"tcg/k2", 2}}));
  REQUIRE(update_durations(file, {{"tcg/k2", 7.5}, {"kvm/k1", 0.5}}));
  Durations log = read_durations(file);
  CHECK(log.size() == 3);
  CHECK(log["tcg/k1"] == doctest::Approx(4.25));
  CHECK(log["tcg/k2"] == doctest::Approx(4.75));  // the mean of 2 and 7.5
  CHECK(log["kvm/k1"] == doctest::Approx(0.5));

  {
    std::ofstream out(file, std::ios::app);
    out << "garbage\n\t\nnan\ttcg/x\n-3\ttcg/y\n12abc\ttcg/z\n9.0\ttcg/ok\n";
  }
  log = read_durations(file);
  CHECK(log.size() == 4);
  CHECK(log.count("tcg/ok") == 1);
  CHECK(log.count("tcg/x") == 0);
  CHECK(log.count("tcg/y") == 0);
  CHECK(log.count("tcg/z") == 0);
  // Rewriting drops the garbage; a key with a newline is never written.
  REQUIRE(update_durations(file, {{"bad\nkey", 1}}));
  CHECK(read_durations(file).size() == 4);
  for (const auto& entry : fs::directory_iterator(file.parent_path()))
    CHECK(entry.path().filename() == "durations.tsv");  // no temp file left
}
