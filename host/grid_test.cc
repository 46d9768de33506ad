#include "host/grid.h"

#include <doctest/doctest.h>

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
