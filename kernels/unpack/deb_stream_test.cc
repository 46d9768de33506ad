#include "kernels/unpack/deb_stream.h"

#include <doctest/doctest.h>

#include "kernels/unpack/md5sums.h"
#include "kernels/sha256.h"
#include "kernels/testing.h"
#include "kernels/download/testing_http.h"

using namespace kgrid;
using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;

namespace {

using E = TarEntry;
const std::string kAbi = "6.1.0-9-amd64";

// The old layout: boot/ first, then 4 MiB of modules that a partial fetch
// never needs.
std::vector<E> kernel_entries(const std::string& vmlinuz = "KERNEL IMAGE") {
  return {{E::Dir, "./", "", ""},
          {E::Dir, "./boot/", "", ""},
          {E::File, "./boot/config-" + kAbi, "CONFIG_BPF=y\n", ""},
          {E::File, "./boot/vmlinuz-" + kAbi, vmlinuz, ""},
          {E::File, "./lib/modules/" + kAbi + "/big.ko", random_bytes(4 << 20, 1), ""}};
}

std::string tar_name(const std::string& filter) {
  return filter == "none" ? "data.tar" : filter == "zstd" ? "data.tar.zst" : filter == "gzip" ? "data.tar.gz"
                                                                                               : "data.tar.xz";
}

std::vector<DebExtract> wanted_in(const fs::path& out) {
  return {{"boot/vmlinuz-" + kAbi, out / "vmlinuz"}, {"boot/config-" + kAbi, out / "config"}};
}

// What the signed index says of `deb`.
DownloadOptions index_of(const std::string& deb) {
  DownloadOptions o;
  o.expected_sha256 = sha256_hex(deb);
  o.expected_size = deb.size();
  return o;
}

// Serves `files` (path -> body) over HTTP; a path in `cut` breaks off after that many bytes.
struct Served {
  std::map<std::string, std::string> files;
  std::map<std::string, size_t> cut;
  TestHttpServer server{[this](const std::string& path) {
    auto f = files.find(path);
    if (f == files.end()) return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    auto c = cut.find(path);
    if (c != cut.end()) return http_ok(std::string_view(f->second).substr(0, c->second), f->second.size());
    return http_ok(f->second);
  }};
};

}  // namespace

TEST_CASE("md5sums files parse, and malformed lines are errors") {
  auto sums = parse_md5sums("d41d8cd98f00b204e9800998ecf8427e  boot/vmlinuz-1\n"
                            "0123456789abcdef0123456789abcdef *./usr/lib/x y\n\n");
  REQUIRE_MESSAGE(sums.ok(), why(sums));
  CHECK(sums->size() == 2);
  CHECK(sums->at("boot/vmlinuz-1") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(sums->at("usr/lib/x y") == "0123456789abcdef0123456789abcdef");
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  for (const char* bad : {"xyz  boot/a\n", "d41d8cd98f00b204e9800998ecf8427e boot/a\n",
                          "D41D8CD98F00B204E9800998ECF8427E  boot/a\n", "d41d8cd98f00b204e9800998ecf8427e  \n"}) {
    CAPTURE(bad);
    auto r = parse_md5sums(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("line 1") != std::string::npos);
  }
  CHECK(parse_fetch_mode("partial").ok());
  CHECK(*parse_fetch_mode("verified") == FetchMode::Verified);
  CHECK_FALSE(parse_fetch_mode("fast").ok());
}

TEST_CASE("streaming gives the same files as extracting a downloaded .deb; partial stops early") {
  const auto entries = kernel_entries();
  for (std::string filter : {"xz", "zstd", "gzip", "none"}) {
    CAPTURE(filter);
    const std::string deb = make_deb(tar_name(filter), make_tar(entries, filter), md5sums_of(entries));
    ScratchDir d;
    write_file(d.path() / "k.deb", deb);
    REQUIRE(extract_from_deb(d.path() / "k.deb", wanted_in(d.path() / "ref")).ok());
    Served http;
    http.files["/k.deb"] = deb;
    for (const std::string& url : {"file://" + (d.path() / "k.deb").string(), http.server.url("/k.deb")}) {
      for (FetchMode mode : {FetchMode::Verified, FetchMode::Partial}) {
        CAPTURE(url);
        CAPTURE(fetch_mode_name(mode));
        const fs::path out = d.path() / "out";
        fs::remove_all(out);
        auto got = stream_from_deb(url, wanted_in(out), mode, index_of(deb));
        REQUIRE_MESSAGE(got.ok(), why(got));
        CHECK(slurp(out / "vmlinuz") == slurp(d.path() / "ref" / "vmlinuz"));
        CHECK(slurp(out / "config") == slurp(d.path() / "ref" / "config"));
        CHECK(got->notes.empty());
        if (mode == FetchMode::Verified) {
          CHECK(got->sha256_checked);
          CHECK(got->bytes_fetched == deb.size());
        } else {
          CHECK_FALSE(got->sha256_checked);
          CHECK_MESSAGE(got->bytes_fetched < deb.size() / 2, got->bytes_fetched, " of ", deb.size());
        }
      }
    }
  }
}

TEST_CASE("partial mode takes the rest and checks the SHA-256 when less than 1 MiB is left") {
  std::vector<E> entries = kernel_entries();
  entries[4].data.resize(300000);  // the modules: less than 1 MiB
  const std::string deb = make_deb("data.tar.zst", make_tar(entries, "zstd"), md5sums_of(entries));
  Served http;
  http.files["/k.deb"] = deb;
  ScratchDir d;
  auto got = stream_from_deb(http.server.url("/k.deb"), wanted_in(d.path()), FetchMode::Partial, index_of(deb));
  REQUIRE_MESSAGE(got.ok(), why(got));
  CHECK(got->sha256_checked);
  CHECK(got->bytes_fetched == deb.size());
  CHECK(got->notes.empty());
  http.files["/k.deb"][deb.size() - 100] ^= 0x01;  // and so it sees a corruption there
  auto bad = stream_from_deb(http.server.url("/k.deb"), wanted_in(d.path()), FetchMode::Partial, index_of(deb));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("SHA-256 mismatch") != std::string::npos);
}

TEST_CASE("a corrupted byte after the wanted files: verified mode catches it, partial mode never reads it") {
  const auto entries = kernel_entries();
  const std::string deb = make_deb("data.tar.zst", make_tar(entries, "zstd"), md5sums_of(entries));
  std::string bad = deb;
  bad[bad.size() - 1000] ^= 0x01;  // inside the modules
  Served http;
  http.files["/k.deb"] = bad;
  ScratchDir d;
  auto verified = stream_from_deb(http.server.url("/k.deb"), wanted_in(d.path()), FetchMode::Verified, index_of(deb));
  REQUIRE_FALSE(verified.ok());
  CHECK_MESSAGE(verified.error().message.find("SHA-256 mismatch") != std::string::npos, verified.error().message);
  auto partial = stream_from_deb(http.server.url("/k.deb"), wanted_in(d.path()), FetchMode::Partial, index_of(deb));
  REQUIRE_MESSAGE(partial.ok(), why(partial));
  CHECK_FALSE(partial->sha256_checked);
}

TEST_CASE("a corrupted vmlinuz is caught by the package's md5sums, in both modes") {
  const auto honest = kernel_entries();
  auto entries = honest;
  entries[3].data[3] ^= 0x01;  // vmlinuz
  // The package is what the index lists (SHA-256 right), but its vmlinuz
  // is not the one its md5sums names: damaged before it was signed, or the
  // mirror serves another package that partial mode cannot tell apart.
  const std::string deb = make_deb("data.tar.zst", make_tar(entries, "zstd"), md5sums_of(honest));
  Served http;
  http.files["/k.deb"] = deb;
  for (FetchMode mode : {FetchMode::Verified, FetchMode::Partial}) {
    CAPTURE(fetch_mode_name(mode));
    ScratchDir d;
    auto got = stream_from_deb(http.server.url("/k.deb"), wanted_in(d.path()), mode, index_of(deb));
    REQUIRE_FALSE(got.ok());
    CHECK_MESSAGE(got.error().message.find("boot/vmlinuz-" + kAbi + " does not match the package's md5sums") !=
                      std::string::npos,
                  got.error().message);
  }
}

TEST_CASE("partial mode fetches a package whole when its md5sums cannot vouch for the files") {
  const auto entries = kernel_entries();
  const std::string without_config = md5sums_of({entries[3], entries[4]});
  for (const std::string& md5 : {without_config, std::string()}) {
    CAPTURE(md5.size());
    const std::string deb = make_deb("data.tar.zst", make_tar(entries, "zstd"), md5);
    Served http;
    http.files["/k.deb"] = deb;
    ScratchDir d;
    auto got = stream_from_deb(http.server.url("/k.deb"), wanted_in(d.path()), FetchMode::Partial, index_of(deb));
    REQUIRE_MESSAGE(got.ok(), why(got));
    CHECK(got->sha256_checked);
    CHECK(got->bytes_fetched == deb.size());
    REQUIRE(got->notes.size() == 1);
    CHECK(got->notes[0].find("does not list") != std::string::npos);
    CHECK(got->notes[0].find("boot/config-" + kAbi) != std::string::npos);
  }
}

TEST_CASE("a transfer that breaks off is an error naming the package, unless partial mode had all it needs") {
  const auto entries = kernel_entries();
  const std::string deb = make_deb("data.tar.zst", make_tar(entries, "zstd"), md5sums_of(entries));
  Served http;
  http.files["/early.deb"] = deb;
  http.files["/late.deb"] = deb;
  http.cut["/early.deb"] = 300;  // inside control.tar
  http.cut["/late.deb"] = deb.size() - 100000;
  for (FetchMode mode : {FetchMode::Verified, FetchMode::Partial}) {
    CAPTURE(fetch_mode_name(mode));
    ScratchDir d;
    auto early = stream_from_deb(http.server.url("/early.deb"), wanted_in(d.path()), mode, index_of(deb));
    REQUIRE_FALSE(early.ok());
    CHECK_MESSAGE(early.error().message.find("early.deb") != std::string::npos, early.error().message);
    auto late = stream_from_deb(http.server.url("/late.deb"), wanted_in(d.path()), mode, index_of(deb));
    CHECK(late.ok() == (mode == FetchMode::Partial));
    if (!late.ok()) CHECK_MESSAGE(late.error().message.find(http.server.url("/late.deb")) != std::string::npos,
                                  late.error().message);
  }
}
