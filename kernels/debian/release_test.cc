#include "kernels/debian/release.h"

#include <doctest/doctest.h>

using namespace kgrid::kernels;

TEST_CASE("Release files: names, dates, by-hash and the SHA256 list") {
  const std::string sha(64, 'a');
  auto r = parse_release("Origin: Debian\nSuite: stable\nCodename: trixie\n"
                         "Date: Sat, 21 Nov 2026 09:15:44 UTC\nValid-Until: Sat, 28 Nov 2026 09:15:44 UTC\n"
                         "Acquire-By-Hash: yes\nMD5Sum:\n 0123 5 main/binary-amd64/Packages.xz\n"
                         "SHA256:\n " + sha + "  9679304 main/binary-amd64/Packages.xz\n " + sha +
                         " 12 main/binary-arm64/Release\n");
  REQUIRE(r.ok());
  CHECK(r->suite == "stable");
  CHECK(r->codename == "trixie");
  CHECK(r->acquire_by_hash);
  REQUIRE(r->date);
  CHECK(*r->date == 1795252544);
  CHECK(*r->valid_until - *r->date == 7 * 86400);
  REQUIRE(r->sha256.count("main/binary-amd64/Packages.xz") == 1);
  CHECK(r->sha256.at("main/binary-amd64/Packages.xz").size == 9679304);
  CHECK(r->sha256.at("main/binary-amd64/Packages.xz").sha256 == sha);
  CHECK(r->sha256.size() == 2);  // the MD5Sum list is not taken

  CHECK_FALSE(parse_release("Suite: x\nMD5Sum:\n 0123 5 a\n").ok());
  CHECK_FALSE(parse_release("SHA256:\n nothex 5 main/x\n").ok());
  CHECK_FALSE(parse_release("SHA256:\n " + sha + " 5x main/x\n").ok());
  CHECK_FALSE(parse_release_date("Sat, 21 Nov 2026 09:15:44 +0100"));
  CHECK(parse_release_date("21 Nov 2026 09:15:44 UTC"));
}
