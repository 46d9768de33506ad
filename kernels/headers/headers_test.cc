#include "kernels/headers/headers.h"

#include <doctest/doctest.h>

#include <iostream>

#include "kernels/debian/debian.h"
#include "kernels/headers/elf_glibc.h"
#include "kernels/headers/headers_toolchain.h"
#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;
using E = TarEntry;

TEST_CASE("libc6 requirements, codenames and kernel compilers are read") {
  CHECK(libc6_requirement("libc6 (>= 2.38), libelf1t64 (>= 0.144), pahole") == "2.38");
  CHECK(libc6_requirement("pahole, libc6 (>= 2.34-1)") == "2.34");
  CHECK(libc6_requirement("libelf1") == "");
  ScratchDir dir;
  write_file(dir.path() / "os-release", "NAME=\"Debian\"\nVERSION_CODENAME=bookworm\nID=debian\n");
  CHECK(host_codename(dir.path() / "os-release") == "bookworm");
  CHECK(host_codename(dir.path() / "missing") == "");
  write_file(dir.path() / ".kernelvariables",
             "override ARCH = x86\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-14\n");
  CHECK(kernel_compiler(dir.path()) == "gcc-14");
}

namespace {

const std::string kAbi = "6.12.1+deb99-amd64";

// A fake set of header packages of kAbi; the kbuild needs glibc `kbuild_glibc`.
void add_headers(FakeMirror& m, const std::string& kbuild_glibc, const std::string& kbuild = "linux-kbuild-6.12.1+deb99") {
  const std::string src = "./usr/src/linux-headers-" + kAbi + "/";
  m.add("linux-headers-" + kAbi, "6.12.1-1", "linux-headers-6.12.1+deb99-common (= 6.12.1-1), " + kbuild + ", gcc-14",
        make_deb("data.tar.xz",
                 make_tar({{E::Dir, src, "", ""},
                           {E::File, src + "Makefile",
                            "KBUILD_OUTPUT=/usr/src/linux-headers-" + kAbi + "\ninclude /usr/src/linux-headers-6.12.1+deb99-common/Makefile\n", ""},
                           {E::File, src + ".config", "CONFIG_MODULES=y\n", ""},
                           {E::File, src + ".kernelvariables", "CC = $(CROSS_COMPILE)gcc-14\n", ""},
                           {E::Symlink, src + "scripts", "", "../../lib/" + kbuild + "/scripts"},
                           {E::Symlink, "./usr/lib/modules/" + kAbi + "/build", "", "/usr/src/linux-headers-" + kAbi}})));
  m.add("linux-headers-6.12.1+deb99-common", "6.12.1-1", "",
        make_deb("data.tar.xz", make_tar({{E::File, "./usr/src/linux-headers-6.12.1+deb99-common/Makefile", "# common\n", ""}})));
  m.add(kbuild, "6.12.1-1", "libc6 (>= " + kbuild_glibc + "), libelf1",
        make_deb("data.tar.xz", make_tar({{E::File, "./usr/lib/" + kbuild + "/scripts/basic/fixdep", "tool", ""}})));
}

}  // namespace

TEST_CASE("headers are assembled in the cache with paths that stay inside it") {
  FakeMirror m;
  add_headers(m, "2.2");
  m.publish("trixie");
  ScratchDir cache;
  const KernelId id{"trixie", kAbi, "amd64"};
  auto h = fetch_debian_headers(id, options_for(m, cache.path()));
  REQUIRE_MESSAGE(h.ok(), why(h));
  CHECK(h->id == "debian-trixie-" + kAbi);
  CHECK(h->build_dir == cache.path() / "headers" / h->id / "root/usr/src" / ("linux-headers-" + kAbi));
  CHECK(h->packages.size() == 3);
  CHECK(h->notes.empty());
  const std::string mk = slurp(h->build_dir / "Makefile");
  CHECK(mk == "KBUILD_OUTPUT=" + (h->root / "usr/src/linux-headers-").string() + kAbi + "\ninclude " +
                  (h->root / "usr/src/linux-headers-6.12.1+deb99-common/Makefile").string() + "\n");
  CHECK(slurp(h->root / "usr/lib/modules" / kAbi / "build" / ".config") == "CONFIG_MODULES=y\n");
  CHECK(slurp(h->build_dir / "scripts/basic/fixdep") == "tool");
  CHECK(h->src_dir == h->root / "usr/src/linux-headers-6.12.1+deb99-common");
  auto again = fetch_debian_headers(id, options_for(m, cache.path()));
  REQUIRE(again.ok());
  CHECK(again->from_cache);

  BuildRecipe r = build_recipe(*h, "gcc");
  CHECK(r.kernel_cc == "gcc-14");
  CHECK(r.make_args.front() == "CC=gcc");
  CHECK(r.modules_ok);  // "tool" is no ELF file
}

TEST_CASE("a kbuild too new for this glibc: a backports kbuild of the series, else the reason") {
  const std::string codename = host_codename();
  if (codename.empty()) {
    MESSAGE("skipped: no VERSION_CODENAME in /etc/os-release");
    return;
  }
  FakeMirror m;
  add_headers(m, "99.0");
  m.publish("trixie");
  ScratchDir cache;
  const KernelId id{"trixie", kAbi, "amd64"};
  SUBCASE("no backports suite: the suite's kbuild, and the notes say why not") {
    auto h = fetch_debian_headers(id, options_for(m, cache.path()));
    REQUIRE_MESSAGE(h.ok(), why(h));
    CHECK(h->packages.back().name == "linux-kbuild-6.12.1+deb99");
  }
  SUBCASE("a backports kbuild of the same series is taken") {
    FakeMirror& b = m;
    b.index.clear();
    add_headers(b, "99.0");
    b.publish("trixie");
    b.index.clear();
    b.add("linux-kbuild-6.12.0+deb12", "6.12.0-1~bpo12+1", "libc6 (>= 2.2)",
          make_deb("data.tar.xz", make_tar({{E::File, "./usr/lib/linux-kbuild-6.12.0+deb12/scripts/basic/fixdep", "bpo", ""}})));
    b.add("linux-kbuild-6.1", "6.1.1-1", "libc6 (>= 2.2)", "", 1000);  // another series: never taken
    b.publish(codename + "-backports");
    auto h = fetch_debian_headers(id, options_for(b, cache.path()));
    REQUIRE_MESSAGE(h.ok(), why(h));
    CHECK(h->packages.back().name == "linux-kbuild-6.12.0+deb12");
    CHECK(h->packages.back().suite == codename + "-backports");
    REQUIRE(h->notes.size() == 1);
    CHECK(h->notes[0].find("needs glibc 99.0") != std::string::npos);
    CHECK(slurp(h->build_dir / "scripts/basic/fixdep") == "bpo");  // through the added link
  }
}

TEST_CASE("a tampered header package caches nothing") {
  FakeMirror m;
  add_headers(m, "2.2");
  m.add("linux-headers-6.12.1+deb99-common", "6.12.1-1", "", "", 5, std::string(64, '0'));  // a second stanza wins
  m.publish("trixie");
  ScratchDir cache;
  auto h = fetch_debian_headers(KernelId{"trixie", kAbi, "amd64"}, options_for(m, cache.path()));
  REQUIRE_FALSE(h.ok());
  CHECK_MESSAGE(h.error().message.find("expected") != std::string::npos, h.error().message);
  CHECK((!fs::exists(cache.path() / "headers") || fs::is_empty(cache.path() / "headers")));
}

namespace {

// Assembles the real headers of the kernel that `selector` resolves to and
// builds a trivial module against them.
void check_real_headers(const std::string& selector, bool expect_build) {
  FetchOptions o;
  o.log = [](const std::string& line) { std::cerr << "kernels_test: " << line << "\n"; };
  auto k = fetch_debian(*parse_selector(selector), o);
  REQUIRE_MESSAGE(k.ok(), why(k));
  auto id = parse_kernel_id(k->id);
  REQUIRE(id.ok());
  auto h = fetch_debian_headers(*id, o);
  REQUIRE_MESSAGE(h.ok(), why(h));
  BuildRecipe r = build_recipe(*h);
  std::string args;
  for (const auto& a : r.make_args) args += " " + a;
  if (!r.modules_ok) {
    MESSAGE(k->id, ": modules cannot be built here: ", r.reason);
    CHECK_FALSE(expect_build);
    CHECK(r.reason.find("GLIBC_2.38") != std::string::npos);
    return;
  }
  ScratchDir work;
  auto made = build_test_module(*h, r, work.path());
  REQUIRE_MESSAGE(made.ok(), why(made));
  CHECK_MESSAGE(made->ok(), made->out.substr(made->out.size() > 2000 ? made->out.size() - 2000 : 0), made->err);
  CHECK(fs::exists(work.path() / "kgrid_hello.ko"));
  MESSAGE(k->id, ": built kgrid_hello.ko with", args, h->notes.empty() ? "" : " (" + h->notes[0] + ")");
}

}  // namespace

TEST_CASE("real: headers for 5.10 and 6.1 build a module" * doctest::skip(!network_allowed())) {
  check_real_headers("debian:bullseye/linux-image-amd64", true);
  check_real_headers("debian:bookworm/linux-image-amd64", true);
}

TEST_CASE("real: headers for 6.12 and 7.x build a module (backports kbuild, private glibc)" * doctest::skip(!network_allowed())) {
  // 6.12 via the bookworm-backports kbuild on bookworm; 7.x's kbuild tools
  // need glibc 2.38 and run with a private newer libc6 on older hosts.
  check_real_headers("debian:trixie/linux-image-amd64", true);
  check_real_headers("debian:sid/linux-image-amd64", true);
}

TEST_CASE("pahole_version_number: kbuild's numbering") {
  CHECK(pahole_version_number("v1.24\n") == 124);
  CHECK(pahole_version_number("1.30") == 130);
  CHECK(pahole_version_number("v1.9") == 109);
  CHECK(pahole_version_number("pahole") == 0);
  CHECK(pahole_version_number("v1.") == 0);
}
