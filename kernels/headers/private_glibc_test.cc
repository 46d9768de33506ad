#include "kernels/headers/private_glibc.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "kernels/headers/elf_glibc.h"
#include "kernels/headers/headers.h"
#include "kernels/headers/headers_toolchain.h"
#include "util/process.h"
#include "kernels/testing.h"

using namespace kgrid;
using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;
using E = TarEntry;

TEST_CASE("the private glibc comes from the first suite after this machine's release with a new enough libc6") {
  CHECK(glibc_suites("bookworm", "sid") == std::vector<std::string>{"trixie", "forky", "sid"});
  CHECK(glibc_suites("bookworm", "experimental") == std::vector<std::string>{"trixie", "forky", "sid"});
  CHECK(glibc_suites("bookworm", "trixie") == std::vector<std::string>{"trixie"});
  CHECK(glibc_suites("bookworm", "trixie-backports") == std::vector<std::string>{"trixie"});
  CHECK(glibc_suites("bullseye", "trixie") == std::vector<std::string>{"bookworm", "trixie"});
  CHECK(glibc_suites("", "sid") == std::vector<std::string>{"sid"});
  CHECK(glibc_suites("", "trixie") == std::vector<std::string>{"trixie"});
  CHECK(glibc_suites("trixie", "trixie").empty());

  CHECK(libc6_provides("2.41-12+deb13u5", "2.38"));
  CHECK(libc6_provides("2.38-1", "2.38"));
  CHECK_FALSE(libc6_provides("2.36-9+deb12u13", "2.38"));
  CHECK(libc6_provides("2.100-1", "2.38"));
  CHECK_FALSE(libc6_provides("", "2.38"));
}

namespace {

PrivateGlibc fake_glibc(const fs::path& dir) {
  PrivateGlibc g;
  g.libc6_version = "2.41-12+deb13u5";
  g.glibc = "2.41";
  g.suite = "trixie";
  g.dir = dir;
  g.loader = dir / "root/usr/lib64/ld-linux-x86-64.so.2";
  g.lib_dir = dir / "root/usr/lib/x86_64-linux-gnu";
  return g;
}

// A copy of a real program whose GLIBC_2.x version needs read GLIBC_9.x.
std::string elf_needing_glibc_9() {
  std::string elf = slurp("/bin/true");
  for (size_t at = 0; (at = elf.find("GLIBC_2.", at)) != std::string::npos; at += 8) elf[at + 6] = '9';
  return elf;
}

}  // namespace

TEST_CASE("a wrapper runs the real tool through the private loader, quoted, with argv[0] kept") {
  PrivateGlibc g = fake_glibc("/cache/glibc/it's");
  const std::string s = glibc_wrapper_script(g, "/cache/headers/x/root/usr/libexec/kgrid-glibc/k/scripts/kallsyms", "2.38");
  CHECK(s == "#!/bin/sh\n# kgrid: this tool needs GLIBC_2.38; it runs with the private glibc 2.41 (libc6 "
             "2.41-12+deb13u5 from trixie)\n"
             "exec '/cache/glibc/it'\\''s/root/usr/lib64/ld-linux-x86-64.so.2' --library-path "
             "'/cache/glibc/it'\\''s/root/usr/lib/x86_64-linux-gnu' --argv0 \"$0\" "
             "/cache/headers/x/root/usr/libexec/kgrid-glibc/k/scripts/kallsyms \"$@\"\n");  // safe words stay bare

  // With this machine's own loader standing in for the private one.
  ScratchDir dir;
  g.loader = fs::exists("/lib64/ld-linux-x86-64.so.2") ? "/lib64/ld-linux-x86-64.so.2" : "/usr/lib64/ld-linux-x86-64.so.2";
  g.lib_dir = "/lib/x86_64-linux-gnu";
  if (!fs::exists(g.loader) || !fs::exists("/bin/echo")) return;
  write_file(dir.path() / "echo", glibc_wrapper_script(g, "/bin/echo", "2.38"));
  auto r = run_process({"sh", (dir.path() / "echo").string(), "a b", "c"});
  REQUIRE(r.ok());
  CHECK(r->ok());
  CHECK(r->out == "a b c\n");
}

TEST_CASE("kbuild tools that need a newer glibc are moved aside and wrapped") {
  ScratchDir dir;
  const fs::path kb = dir.path() / "work/usr/lib/linux-kbuild-7.2";
  write_file(kb / "scripts/kallsyms", elf_needing_glibc_9());
  write_file(kb / "scripts/basic/fixdep", slurp("/bin/true"));
  write_file(kb / "scripts/Makefile.build", "# text\n");
  REQUIRE(glibc_needed(kb / "scripts/kallsyms").starts_with("9."));
  PrivateGlibc g = fake_glibc(dir.path() / "glibc");
  SUBCASE("the private glibc is new enough") {
    g.glibc = "9.99";
    auto w = wrap_kbuild_tools(kb, dir.path() / "work/real", dir.path() / "final/real", g, this_glibc());
    REQUIRE(w.ok());
    CHECK(*w == std::vector<std::string>{"scripts/kallsyms"});
    CHECK(slurp(kb / "scripts/kallsyms") == glibc_wrapper_script(g, dir.path() / "final/real/scripts/kallsyms", glibc_needed(dir.path() / "work/real/scripts/kallsyms")));
    CHECK((fs::status(kb / "scripts/kallsyms").permissions() & fs::perms::owner_exec) != fs::perms::none);
    CHECK(slurp(dir.path() / "work/real/scripts/kallsyms") == elf_needing_glibc_9());
    CHECK(slurp(kb / "scripts/basic/fixdep") == slurp("/bin/true"));
    CHECK(kbuild_glibc_problem(kb, this_glibc()).needed.empty());
  }
  SUBCASE("a tool the private glibc is too old for stays and is still a problem") {
    auto w = wrap_kbuild_tools(kb, dir.path() / "work/real", dir.path() / "final/real", g, this_glibc());
    REQUIRE(w.ok());
    CHECK(w->empty());
    CHECK(kbuild_glibc_problem(kb, this_glibc()).tools == std::vector<std::string>{"scripts/kallsyms"});
  }
}

namespace {

const std::string kAbi = "7.2.1+deb99-amd64";
const std::string kKbuild = "linux-kbuild-7.2.1+deb99";

// Headers of kAbi whose kbuild has a tool that needs GLIBC_9.x.
void add_headers(FakeMirror& m) {
  const std::string src = "./usr/src/linux-headers-" + kAbi + "/";
  m.add("linux-headers-" + kAbi, "7.2.1-1", "linux-headers-7.2.1+deb99-common (= 7.2.1-1), " + kKbuild,
        make_deb("data.tar.xz",
                 make_tar({{E::File, src + "Makefile", "include /usr/src/linux-headers-7.2.1+deb99-common/Makefile\n", ""},
                           {E::File, src + ".config", "CONFIG_MODULES=y\n", ""},
                           {E::Symlink, src + "scripts", "", "../../lib/" + kKbuild + "/scripts"}})));
  m.add("linux-headers-7.2.1+deb99-common", "7.2.1-1", "",
        make_deb("data.tar.xz", make_tar({{E::File, "./usr/src/linux-headers-7.2.1+deb99-common/Makefile", "# common\n", ""}})));
  m.add(kKbuild, "7.2.1-1", "libc6 (>= 9.0), libelf1t64",
        make_deb("data.tar.xz", make_tar({{E::File, "./usr/lib/" + kKbuild + "/scripts/kallsyms", elf_needing_glibc_9(), ""},
                                          {E::File, "./usr/lib/" + kKbuild + "/scripts/basic/fixdep", "tool", ""}})));
}

void add_libc6(FakeMirror& m) {
  m.add("libc6", "9.99-1", "libgcc-s1",
        make_deb("data.tar.xz",
                 make_tar({{E::Dir, "./usr/lib/x86_64-linux-gnu/", "", ""},
                           {E::File, "./usr/lib/x86_64-linux-gnu/libc.so.6", "libc", ""},
                           {E::File, "./usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "ld", ""},
                           {E::Symlink, "./usr/lib64/ld-linux-x86-64.so.2", "", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"}})));
}

bool has_note(const KernelHeaders& h, const std::string& part) {
  for (const auto& n : h.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("headers whose kbuild needs a newer glibc get wrappers with a private glibc, else the reason") {
  FakeMirror m;
  add_headers(m);
  ScratchDir cache;
  const KernelId id{"sid", kAbi, "amd64"};
  SUBCASE("libc6 in sid") {
    add_libc6(m);
    m.publish("sid");
    auto h = fetch_debian_headers(id, options_for(m, cache.path()));
    REQUIRE_MESSAGE(h.ok(), why(h));
    CHECK_MESSAGE(has_note(*h, "kbuild host tools need GLIBC_9.0: running them with a private glibc 9.99 from sid"),
                  h->notes.back());
    const std::string wrapper = slurp(h->build_dir / "scripts/kallsyms");
    CHECK(wrapper.starts_with("#!/bin/sh\n"));
    CHECK(wrapper.find((cache.path() / "glibc").string()) != std::string::npos);
    CHECK(wrapper.find((h->root / "usr/libexec/kgrid-glibc" / kKbuild / "scripts/kallsyms").string()) != std::string::npos);
    CHECK(slurp(h->root / "usr/libexec/kgrid-glibc" / kKbuild / "scripts/kallsyms") == elf_needing_glibc_9());
    CHECK(build_recipe(*h, "gcc").modules_ok);

    auto again = fetch_debian_headers(id, options_for(m, cache.path()));
    REQUIRE(again.ok());
    CHECK(again->from_cache);
    CHECK(has_note(*again, "private glibc 9.99"));

    // A tree assembled before wrappers existed is assembled again.
    auto meta = nlohmann::json::parse(slurp(cache.path() / "headers" / h->id / "meta.json"));
    meta.erase("private_glibc");
    meta.erase("wrapped");
    write_file(cache.path() / "headers" / h->id / "meta.json", meta.dump());
    write_file(h->build_dir / "scripts/kallsyms", elf_needing_glibc_9());
    auto old = fetch_debian_headers(id, options_for(m, cache.path()));
    REQUIRE(old.ok());
    CHECK_FALSE(old->from_cache);
    CHECK(slurp(h->build_dir / "scripts/kallsyms") == wrapper);
  }
  SUBCASE("no libc6 anywhere: module builds keep the exact reason") {
    m.publish("sid");
    auto h = fetch_debian_headers(id, options_for(m, cache.path()));
    REQUIRE_MESSAGE(h.ok(), why(h));
    CHECK(has_note(*h, "no libc6 with glibc 9.0 or newer"));
    BuildRecipe r = build_recipe(*h, "gcc");
    CHECK_FALSE(r.modules_ok);
    CHECK(r.reason.find("kbuild host tools need GLIBC_9.") != std::string::npos);
    CHECK(r.reason.find("kallsyms") != std::string::npos);
  }
}
