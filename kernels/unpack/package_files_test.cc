#include "kernels/unpack/package_files.h"

#include <doctest/doctest.h>

#include "kernels/image/image.h"
#include "util/process.h"
#include "kernels/testing.h"

using namespace kgrid;
using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;
using E = TarEntry;

namespace {

std::string bz(const std::string& release) {
  return make_bzimage(release + " (test@example) #1 SMP", "\x28\xb5\x2f\xfd");
}

}  // namespace

TEST_CASE("absolute symlink targets become relative to the link") {
  CHECK(relative_link_target("lib/modules/6.1.0-50-amd64/build", "/usr/src/linux-headers-6.1.0-50-amd64") ==
        "../../../usr/src/linux-headers-6.1.0-50-amd64");
  CHECK(relative_link_target("top", "/usr/x") == "usr/x");
  CHECK(relative_link_target("a/b", "//usr//x/") == "../usr/x");
}

TEST_CASE("the kernel is found in a .deb of either layout, and in an RPM") {
  ScratchDir dir;
  SUBCASE("deb, boot/") {
    write_file(dir.path() / "k.deb",
               make_deb("data.tar.xz", make_tar({{E::Dir, "./boot/", "", ""},
                                                 {E::File, "./boot/System.map-6.1.0-9-amd64", "m", ""},
                                                 {E::File, "./boot/config-6.1.0-9-amd64", "CONFIG_A=y\n", ""},
                                                 {E::File, "./boot/vmlinuz-6.1.0-9-amd64", bz("6.1.0-9-amd64"), ""}})));
    CHECK(package_format(dir.path() / "k.deb") == PackageFormat::Deb);
    auto k = extract_kernel_files(dir.path() / "k.deb", dir.path() / "out");
    REQUIRE_MESSAGE(k.ok(), why(k));
    CHECK(k->image_path_in_package == "boot/vmlinuz-6.1.0-9-amd64");
    CHECK(inspect_image(k->image)->release == "6.1.0-9-amd64");
    REQUIRE(k->config);
    CHECK(slurp(*k->config) == "CONFIG_A=y\n");
  }
  SUBCASE("rpm, lib/modules/<release>/") {
    write_file(dir.path() / "k.rpm",
               make_rpm({{E::Dir, "./lib/modules/6.5.6-300.fc39.x86_64", "", ""},
                         {E::File, "./lib/modules/6.5.6-300.fc39.x86_64/config", "CONFIG_B=y\n", ""},
                         {E::File, "./lib/modules/6.5.6-300.fc39.x86_64/kernel/x.ko", "ko", ""},
                         {E::File, "./lib/modules/6.5.6-300.fc39.x86_64/vmlinuz", bz("6.5.6-300.fc39.x86_64"), ""}}));
    CHECK(package_format(dir.path() / "k.rpm") == PackageFormat::Rpm);
    auto k = extract_kernel_files(dir.path() / "k.rpm", dir.path() / "out");
    REQUIRE_MESSAGE(k.ok(), why(k));
    CHECK(inspect_image(k->image)->release == "6.5.6-300.fc39.x86_64");
    REQUIRE(k->config);
    CHECK(slurp(*k->config) == "CONFIG_B=y\n");
  }
  SUBCASE("no kernel, or a hostile package") {
    write_file(dir.path() / "none.deb", make_deb("data.tar.xz", make_tar({{E::File, "./usr/x", "x", ""}})));
    auto none = extract_kernel_files(dir.path() / "none.deb", dir.path() / "out");
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("no kernel image") != std::string::npos);
    write_file(dir.path() / "evil.rpm", make_rpm({{E::File, "../../evil", "x", ""}}));
    auto evil = extract_kernel_files(dir.path() / "evil.rpm", dir.path() / "out");
    REQUIRE_FALSE(evil.ok());
    CHECK(evil.error().message.find("unsafe entry") != std::string::npos);
    write_file(dir.path() / "text", "hello");
    CHECK(package_format(dir.path() / "text") == PackageFormat::Unknown);
  }
}

TEST_CASE("packages unpack whole, with symlinks kept inside the tree") {
  ScratchDir dir;
  const fs::path root = dir.path() / "root";
  write_file(dir.path() / "h.deb",
             make_deb("data.tar.xz",
                      make_tar({{E::Dir, "./usr/src/linux-headers-1-amd64/", "", ""},
                                {E::File, "./usr/src/linux-headers-1-amd64/Makefile", "include /usr/src/x\n", ""},
                                {E::Symlink, "./usr/src/linux-headers-1-amd64/scripts", "", "../../lib/linux-kbuild-1/scripts"},
                                {E::Symlink, "./lib/modules/1-amd64/build", "", "/usr/src/linux-headers-1-amd64"},
                                {E::Hardlink, "./usr/src/linux-headers-1-amd64/Makefile.copy", "", "./usr/src/linux-headers-1-amd64/Makefile"}})));
  write_file(dir.path() / "kbuild.deb",
             make_deb("data.tar.xz", make_tar({{E::File, "./usr/lib/linux-kbuild-1/scripts/basic/fixdep", "#!bin", ""}})));
  UnpackStats stats;
  REQUIRE(unpack_package(dir.path() / "h.deb", root, &stats).ok());
  REQUIRE(unpack_package(dir.path() / "kbuild.deb", root, &stats).ok());
  CHECK(stats.files == 3);
  CHECK(stats.symlinks == 2);
  CHECK(stats.rewritten_symlinks == 1);
  CHECK(fs::read_symlink(root / "lib/modules/1-amd64/build") == "../../../usr/src/linux-headers-1-amd64");
  CHECK(slurp(root / "lib/modules/1-amd64/build/Makefile") == "include /usr/src/x\n");
  CHECK(slurp(root / "usr/src/linux-headers-1-amd64/Makefile.copy") == "include /usr/src/x\n");
  // scripts -> ../../lib/linux-kbuild-1/scripts: relative, kept; dangling until usr/lib exists.
  CHECK(fs::read_symlink(root / "usr/src/linux-headers-1-amd64/scripts") == "../../lib/linux-kbuild-1/scripts");

  SUBCASE("a symlink that leads out") {
    write_file(dir.path() / "out.deb",
               make_deb("data.tar.xz", make_tar({{E::Dir, "./a/", "", ""}, {E::Symlink, "./a/up", "", "../../.."}})));
    auto st = unpack_package(dir.path() / "out.deb", dir.path() / "root2");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find("leads out") != std::string::npos);
  }
  SUBCASE("a symlink that leads out through another symlink") {
    write_file(dir.path() / "via.deb",
               make_deb("data.tar.xz", make_tar({{E::Dir, "./a/b/", "", ""},
                                                 {E::Symlink, "./deep", "", "a/b"},
                                                 {E::Symlink, "./x", "", "deep/../../.."}})));
    auto st = unpack_package(dir.path() / "via.deb", dir.path() / "root3");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find("leads out") != std::string::npos);
  }
  SUBCASE("a file below a symlink") {
    write_file(dir.path() / "below.deb",
               make_deb("data.tar.xz", make_tar({{E::Symlink, "./etc", "", "/etc"}, {E::File, "./etc/passwd", "x", ""}})));
    auto st = unpack_package(dir.path() / "below.deb", dir.path() / "root4");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find("below a symlink") != std::string::npos);
    std::error_code ec;  // root4/etc -> "etc" (the rewritten /etc) loops on itself
    CHECK_FALSE(fs::exists(dir.path() / "root4" / "etc" / "passwd", ec));
  }
}

TEST_CASE("an RPM made by rpmbuild (gzip, xz and zstd payloads) gives up its kernel" *
          doctest::skip(!kgrid::program_available("rpmbuild"))) {
  ScratchDir top;
  const std::string release = "6.1.0-77-amd64";
  write_file(top.path() / "SOURCES" / "vmlinuz", bz(release));
  write_file(top.path() / "SOURCES" / "config", "CONFIG_RPM=y\n");
  write_file(top.path() / "SPECS" / "k.spec",
             "Name: kgrid-test-kernel\nVersion: 6.1.0\nRelease: 77\nSummary: t\nLicense: GPL\nBuildArch: x86_64\n"
             "%description\nt\n%install\nmkdir -p %{buildroot}/lib/modules/" + release + "\n"
             "cp %{_sourcedir}/vmlinuz %{_sourcedir}/config %{buildroot}/lib/modules/" + release + "/\n"
             "%files\n/lib/modules/" + release + "/vmlinuz\n/lib/modules/" + release + "/config\n");
  for (const char* payload : {"w9.gzdio", "w6.xzdio", "w19.zstdio"}) {
    CAPTURE(payload);
    fs::remove_all(top.path() / "RPMS");
    auto built = run_process({"rpmbuild", "--define", "_topdir " + top.path().string(), "--define",
                              std::string("_binary_payload ") + payload, "-bb", (top.path() / "SPECS" / "k.spec").string()});
    REQUIRE(built.ok());
    REQUIRE_MESSAGE(built->ok(), built->err);
    fs::path rpm = top.path() / "RPMS" / "x86_64" / "kgrid-test-kernel-6.1.0-77.x86_64.rpm";
    CHECK(package_format(rpm) == PackageFormat::Rpm);
    auto k = extract_kernel_files(rpm, top.path() / "out");
    REQUIRE_MESSAGE(k.ok(), why(k));
    CHECK(inspect_image(k->image)->release == release);
    REQUIRE(k->config);
    CHECK(slurp(*k->config) == "CONFIG_RPM=y\n");
  }
}
