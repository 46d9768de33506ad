#include "kernels/debian/apt_sources.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

TEST_CASE("one-line sources.list entries parse, options and comments included") {
  auto s = parse_sources_list(
      "# a comment\n"
      "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example/debian bookworm main contrib # c\n"
      "deb-src http://mirror.example/debian bookworm main\n"
      "deb http://security.example/debian-security bookworm-security main\n"
      "  \n"
      "deb cdrom:[Debian]/ bookworm main\n");
  REQUIRE(s.size() == 4);
  CHECK(s[0].types == std::vector<std::string>{"deb"});
  CHECK(s[0].uris == std::vector<std::string>{"http://mirror.example/debian"});
  CHECK(s[0].suites == std::vector<std::string>{"bookworm"});
  CHECK(s[0].components == std::vector<std::string>{"main", "contrib"});
  CHECK(s[1].types == std::vector<std::string>{"deb-src"});
  CHECK(pick_debian_mirror(s) == "http://mirror.example/debian");
}

TEST_CASE("deb822 sources parse, with comment lines inside a stanza") {
  auto s = parse_deb822_sources(
      "Types: deb\n"
      "# http://snapshot.example/archive/debian/20250520T000000Z\n"
      "URIs: http://mirror.example/debian/\n"
      "Suites: bookworm bookworm-updates\n"
      "Components: main\n"
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
      "\n"
      "Types: deb\n"
      "URIs: http://mirror.example/debian-security\n"
      "Suites: bookworm-security\n"
      "Components: main\n");
  REQUIRE(s.size() == 2);
  CHECK(s[0].suites == std::vector<std::string>{"bookworm", "bookworm-updates"});
  CHECK(s[0].uris == std::vector<std::string>{"http://mirror.example/debian/"});
  CHECK(pick_debian_mirror(s) == "http://mirror.example/debian");
}

TEST_CASE("security, third-party and disabled sources are not taken for the Debian mirror") {
  CHECK(is_debian_suite("bookworm"));
  CHECK(is_debian_suite("sid"));
  CHECK(is_debian_suite("trixie-backports"));
  CHECK(is_debian_suite("stable-updates"));
  CHECK_FALSE(is_debian_suite("bookworm-security"));
  CHECK_FALSE(is_debian_suite("cloud-sdk-bookworm"));
  CHECK_FALSE(is_debian_suite("nodistro"));
  CHECK_FALSE(is_debian_suite("jammy"));

  std::vector<AptSource> all = parse_sources_list(
      "deb https://packages.example/apt cloud-sdk-bookworm main\n"
      "deb http://security.example/debian-security bookworm-security main\n"
      "deb http://archive.example/ubuntu jammy main\n");
  for (auto& s : parse_deb822_sources("Types: deb\nURIs: https://node.example/node_20.x\n"
                                      "Suites: nodistro\nComponents: main\n\n"
                                      "Types: deb\nEnabled: no\nURIs: http://off.example/debian\n"
                                      "Suites: sid\nComponents: main\n\n"
                                      "Types: deb-src\nURIs: http://src.example/debian\n"
                                      "Suites: sid\nComponents: main\n")) {
    all.push_back(s);
  }
  CHECK_FALSE(pick_debian_mirror(all).has_value());

  // Multi-line fields and a source without "main" as a fallback.
  for (auto& s : parse_deb822_sources("Types: deb\nURIs:\n http://contrib.example/debian\n"
                                      "Suites: trixie\nComponents: contrib\n\n"
                                      "Types: deb\nURIs: http://main.example/debian\n"
                                      "Suites:\n trixie\n trixie-updates\nComponents: main\n")) {
    all.push_back(s);
  }
  CHECK(pick_debian_mirror(all) == "http://main.example/debian");
  all.pop_back();
  CHECK(pick_debian_mirror(all) == "http://contrib.example/debian");
}

TEST_CASE("explicit mirror beats KGRID_MIRROR beats the apt sources") {
  ScratchDir d;
  write_file(d.path() / "sources.list", "deb http://list.example/debian bullseye main\n");
  write_file(d.path() / "sources.list.d" / "debian.sources",
             "Types: deb\nURIs: http://deb822.example/debian\nSuites: bookworm\nComponents: main\n");
  write_file(d.path() / "sources.list.d" / "old.list.disabled", "deb http://no.example/debian sid main\n");
  const char* saved = std::getenv("KGRID_MIRROR");
  std::string saved_value = saved ? saved : "";
  ::unsetenv("KGRID_MIRROR");

  CHECK(read_apt_sources(d.path()).size() == 2);
  CHECK(*find_debian_mirror("", d.path()) == "http://list.example/debian");
  ::setenv("KGRID_MIRROR", "http://env.example/debian/", 1);
  CHECK(*find_debian_mirror("", d.path()) == "http://env.example/debian");
  CHECK(*find_debian_mirror("file:///srv/mirror", d.path()) == "file:///srv/mirror");
  ::unsetenv("KGRID_MIRROR");
  auto none = find_debian_mirror("", d.path() / "nowhere");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message.find("KGRID_MIRROR") != std::string::npos);

  if (saved) ::setenv("KGRID_MIRROR", saved_value.c_str(), 1);
}
