#include "kernels/unpack/deb.h"

#include <doctest/doctest.h>

#include "kernels/unpack/deb_stream.h"
#include "kernels/sha256.h"
#include "kernels/testing.h"

using namespace kgrid;
using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {

using E = TarEntry;

// Every path under `root`, for checking that nothing else was written.
std::vector<fs::path> tree(const fs::path& root) {
  std::vector<fs::path> out;
  for (auto& e : fs::recursive_directory_iterator(root)) out.push_back(fs::relative(e.path(), root));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<DebExtract> wanted_in(const fs::path& out) {
  return {{"boot/vmlinuz-6.1.0-9-amd64", out / "vmlinuz"}, {"boot/config-6.1.0-9-amd64", out / "config"}};
}

}  // namespace

TEST_CASE("archive paths are normalised and unsafe ones recognised") {
  CHECK(normalize_archive_path("./boot/vmlinuz") == "boot/vmlinuz");
  CHECK(normalize_archive_path("boot//./x/") == "boot/x");
  CHECK(normalize_archive_path("./") == "");
  CHECK(is_unsafe_archive_path("/etc/passwd"));
  CHECK(is_unsafe_archive_path("../../evil"));
  CHECK(is_unsafe_archive_path("./boot/../../x"));
  CHECK(is_unsafe_archive_path(".."));
  CHECK_FALSE(is_unsafe_archive_path("./boot/vmlinuz..x"));
  CHECK_FALSE(is_unsafe_archive_path("./"));
}

TEST_CASE("vmlinuz and config come out of a .deb in each compression") {
  for (std::string filter : {"xz", "zstd", "gzip", "none"}) {
    CAPTURE(filter);
    ScratchDir d;
    std::string data = make_tar({{E::Dir, "./", "", ""},
                                 {E::Dir, "./boot/", "", ""},
                                 {E::File, "./boot/config-6.1.0-9-amd64", "CONFIG_BPF=y\n", ""},
                                 {E::File, "./boot/vmlinuz-6.1.0-9-amd64", "KERNEL", ""},
                                 {E::Symlink, "./usr/share/doc/x", "", "/usr/share/doc/y"}},
                                filter);
    std::string name = filter == "none" ? "data.tar" : filter == "zstd" ? "data.tar.zst"
                       : filter == "gzip" ? "data.tar.gz" : "data.tar.xz";
    write_file(d.path() / "k.deb", make_deb(name, data));
    Status st = extract_from_deb(d.path() / "k.deb", wanted_in(d.path() / "out"));
    REQUIRE_MESSAGE(st.ok(), why(st));
    CHECK(slurp(d.path() / "out" / "vmlinuz") == "KERNEL");
    CHECK(slurp(d.path() / "out" / "config") == "CONFIG_BPF=y\n");
    CHECK(tree(d.path() / "out") == std::vector<fs::path>{"config", "vmlinuz"});
  }
}

TEST_CASE("hostile .deb files are rejected and write nothing outside") {
  struct Case {
    std::string name;
    std::vector<E> entries;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"dotdot", {{E::File, "../../evil", "EVIL", ""},
                  {E::File, "./boot/vmlinuz-6.1.0-9-amd64", "K", ""},
                  {E::File, "./boot/config-6.1.0-9-amd64", "C", ""}}, "unsafe entry"},
      {"absolute", {{E::File, "/tmp/kgrid-evil-absolute", "EVIL", ""},
                    {E::File, "./boot/vmlinuz-6.1.0-9-amd64", "K", ""}}, "unsafe entry"},
      {"inner dotdot", {{E::File, "./boot/../../../evil", "EVIL", ""}}, "unsafe entry"},
      {"symlink as vmlinuz", {{E::Symlink, "./boot/vmlinuz-6.1.0-9-amd64", "", "../../../../etc/passwd"},
                              {E::File, "./boot/config-6.1.0-9-amd64", "C", ""}}, "not a regular file"},
      {"symlinked dir", {{E::Symlink, "./boot", "", "/tmp"},
                         {E::File, "./boot/vmlinuz-6.1.0-9-amd64", "K", ""},
                         {E::File, "./boot/config-6.1.0-9-amd64", "C", ""}}, "below the symlink"},
      {"hardlink as config", {{E::File, "./boot/vmlinuz-6.1.0-9-amd64", "K", ""},
                              {E::Hardlink, "./boot/config-6.1.0-9-amd64", "", "/etc/shadow"}},
       "unsafe entry"},
      {"missing config", {{E::File, "./boot/vmlinuz-6.1.0-9-amd64", "K", ""}}, "no boot/config"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ScratchDir d;
    fs::create_directories(d.path() / "a" / "b" / "cache");
    const fs::path out = d.path() / "a" / "b" / "cache" / "out";
    const fs::path deb = d.path() / "a" / "b" / "cache" / "k.deb";
    write_file(deb, make_deb("data.tar.xz", make_tar(c.entries), md5sums_of(c.entries)));
    Status st = extract_from_deb(deb, wanted_in(out));
    REQUIRE_FALSE(st.ok());
    CHECK_MESSAGE(st.error().message.find(c.expect) != std::string::npos, st.error().message);
    // The same checks while streaming (deb_stream.h), in both modes.
    DownloadOptions index;
    index.expected_sha256 = sha256_hex(slurp(deb));
    index.expected_size = fs::file_size(deb);
    for (FetchMode mode : {FetchMode::Verified, FetchMode::Partial}) {
      CAPTURE(fetch_mode_name(mode));
      auto streamed = stream_from_deb("file://" + deb.string(), wanted_in(out), mode, index);
      REQUIRE_FALSE(streamed.ok());
      CHECK_MESSAGE(streamed.error().message.find(c.expect) != std::string::npos, streamed.error().message);
    }
    // Only the package and possibly the (caller-owned) output dir exist.
    for (const auto& p : tree(d.path())) {
      CHECK_MESSAGE(p.string().find("evil") == std::string::npos, p.string());
    }
    CHECK_FALSE(fs::exists(d.path() / "evil"));
    CHECK_FALSE(fs::exists(d.path() / "a" / "evil"));
    CHECK_FALSE(fs::exists("/tmp/kgrid-evil-absolute"));
    CHECK_FALSE(fs::exists("/tmp/vmlinuz-6.1.0-9-amd64"));
  }
}

TEST_CASE("a file that is not a .deb is a clear error") {
  ScratchDir d;
  write_file(d.path() / "x.deb", "this is not an ar archive");
  Status st = extract_from_deb(d.path() / "x.deb", wanted_in(d.path() / "out"));
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("x.deb") != std::string::npos);
  write_file(d.path() / "y.deb", make_deb("control2.tar.xz", make_tar({})));
  Status st2 = extract_from_deb(d.path() / "y.deb", wanted_in(d.path() / "out"));
  REQUIRE_FALSE(st2.ok());
  CHECK(st2.error().message.find("no data.tar") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path() / "out"));
}
