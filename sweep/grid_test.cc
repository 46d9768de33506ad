#include "sweep/grid.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace kgrid::host;

TEST_CASE("grid files list debian packages, files and dirs") {
  auto refs = parse_grid(R"(
name = "small"
[[kernel]]
debian = "bookworm/linux-image-amd64"
[[kernel]]
path = "img/vmlinuz"
[[kernel]]
dir = "/abs/kernels"
)", "/grids", "g.toml");
  REQUIRE(refs.ok());
  REQUIRE(refs->size() == 3);
  CHECK((*refs)[0].value == "debian:bookworm/linux-image-amd64");
  CHECK((*refs)[1].value == "/grids/img/vmlinuz");
  CHECK((*refs)[2].kind == KernelRef::Kind::Dir);
}

TEST_CASE("bad grid files name the problem") {
  auto syntax = parse_grid("[[kernel]\n", "/", "g.toml");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().message.find("g.toml:1") != std::string::npos);
  auto unknown = parse_grid("[[kernel]]\ndebain = \"x\"\n", "/", "g.toml");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("debain") != std::string::npos);
  CHECK_FALSE(parse_grid("", "/", "g.toml").ok());
  CHECK_FALSE(parse_grid("[[kernel]]\ndebian = \"a\"\npath = \"b\"\n", "/", "g.toml").ok());
  CHECK_FALSE(parse_grid("[[kernel]]\ndebian = 5\n", "/", "g.toml").ok());
}

TEST_CASE("grid selectors become kernel queries") {
  auto refs = parse_grid(R"(
[[kernel]]
select = { suite = "trixie", series = "6.12", flavor = "*", newest = 2, arch = "amd64" }
[[kernel]]
select = { suite = ["bookworm", "bookworm-backports"], flavor = ["generic", "cloud"] }
[[kernel]]
select = { suite = "*", arch = "*" }
)", "/g", "g.toml");
  REQUIRE_MESSAGE(refs.ok(), (refs.ok() ? "" : refs.error().message));
  REQUIRE(refs->size() == 3);
  CHECK((*refs)[0].kind == KernelRef::Kind::Select);
  CHECK((*refs)[0].value == "debian:trixie?arch=amd64&series=6.12&newest=2");
  CHECK((*refs)[1].value == "debian:bookworm,bookworm-backports?arch=amd64&flavor=generic,cloud");
  CHECK((*refs)[2].value == "debian:*?arch=*");

  for (const char* bad : {"select = { series = \"6.1\" }",                    // no suite
                          "select = { suite = \"trixie\", series = 6.1 }",    // a float would lose 6.10
                          "select = { suite = \"trixie\", newest = -1 }",
                          "select = { suite = \"trixie\", colour = \"red\" }",
                          "select = { suite = \"Trixie\" }",
                          "select = { suite = [] }",
                          "select = \"trixie\""}) {
    CAPTURE(bad);
    auto r = parse_grid(std::string("[[kernel]]\n") + bad + "\n", "/", "g.toml");
    CHECK_FALSE(r.ok());
  }
  auto floaty = parse_grid("[[kernel]]\nselect = { suite = \"trixie\", series = 6.1 }\n", "/", "g.toml");
  CHECK(floaty.error().message.find("as a string") != std::string::npos);
}

TEST_CASE("grid URLs are pinned by sha256") {
  const std::string sha(64, 'a');
  auto refs = parse_grid("[[kernel]]\nurl = \"https://example.invalid/bzImage\"\nsha256 = \"" + sha + "\"\n", "/", "g.toml");
  REQUIRE(refs.ok());
  CHECK((*refs)[0].kind == KernelRef::Kind::Url);
  CHECK((*refs)[0].value == "https://example.invalid/bzImage#sha256=" + sha);
  auto unpinned = parse_grid("[[kernel]]\nurl = \"https://example.invalid/bzImage\"\n", "/", "g.toml");
  REQUIRE_FALSE(unpinned.ok());
  CHECK(unpinned.error().message.find("sha256") != std::string::npos);
  CHECK_FALSE(parse_grid("[[kernel]]\nurl = \"https://x.invalid/k\"\nsha256 = \"abc\"\n", "/", "g.toml").ok());
  CHECK_FALSE(parse_grid("[[kernel]]\npath = \"k\"\nsha256 = \"" + sha + "\"\n", "/", "g.toml").ok());
  CHECK_FALSE(parse_grid("[[kernel]]\nurl = \"https://x.invalid/k\"\ndebian = \"a/b\"\nsha256 = \"" + sha + "\"\n", "/", "g.toml").ok());
}

TEST_CASE("the shipped grids parse") {
  for (const char* file : {"kernels/default.toml", "kernels/debian-all.toml"}) {
    CAPTURE(file);
    auto refs = load_grid(std::filesystem::path(KGRID_SOURCE_DIR) / file);
    REQUIRE_MESSAGE(refs.ok(), (refs.ok() ? "" : refs.error().message));
    CHECK_FALSE(refs->empty());
  }
}

TEST_CASE("a command's kernel sources: its --kernel values, then the grid's") {
  auto dir = std::filesystem::temp_directory_path() / ("kgrid-grid-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "g.toml") << "name = \"g\"\n[[kernel]]\npath = \"vmlinuz-x\"\n";
  auto names = kernel_sources({"debian:sid/linux-image-amd64"}, dir / "g.toml", "--kernel FILE");
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"debian:sid/linux-image-amd64", (dir / "vmlinuz-x").string()});

  auto none = kernel_sources({}, {}, "--kernel FILE or --grid FILE");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message == "no kernels given (use --kernel FILE or --grid FILE)");
  CHECK_FALSE(kernel_sources({"x"}, dir / "missing.toml", "--kernel FILE").ok());
  std::filesystem::remove_all(dir);
}
