// fetch_debian() in its two fetch modes (deb_stream.h), against a fake
// signed mirror served over HTTP: what meta.json records, when a cached
// kernel is fetched again, and that nothing is cached after a failure.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "kernels/debian/debian.h"
#include "kernels/image/image.h"
#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;
using E = TarEntry;
using nlohmann::json;

namespace {

const std::string kAbi = "6.1.0-98-amd64";
const std::string kId = "debian-bookworm-" + kAbi;
const std::string kPackage = "linux-image-" + kAbi;

// The old layout, boot/ first, then 3 MiB of modules.
std::vector<E> kernel_entries() {
  return {{E::Dir, "./boot/", "", ""},
          {E::File, "./boot/config-" + kAbi, "CONFIG_BPF=y\n", ""},
          {E::File, "./boot/vmlinuz-" + kAbi, make_bzimage(kAbi + " (test@example) #1 SMP", "\x28\xb5\x2f\xfd"), ""},
          {E::File, "./lib/modules/" + kAbi + "/big.ko", random_bytes(3 << 20, 5), ""}};
}

std::string kernel_deb(const std::vector<E>& entries, const std::vector<E>& listed) {
  return make_deb("data.tar.zst", make_tar(entries, "zstd"), md5sums_of(listed));
}

// A mirror over HTTP whose bookworm has linux-image-amd64 -> kPackage (`deb`).
void publish(FakeMirror& m, const std::string& deb) {
  m.serve_http();
  m.add("linux-image-amd64", "1", kPackage, "", 1480);
  m.add(kPackage, "1", "", deb);
  m.publish("bookworm");
}

json meta_of(const fs::path& cache) {
  return json::parse(slurp(cache / "kernels" / kId / "meta.json"));
}

bool has(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines) {
    if (l.find(text) != std::string::npos) return true;
  }
  return false;
}

const Selector kSel{"bookworm", "linux-image-amd64", "amd64"};

}  // namespace

TEST_CASE("partial fetch stops early and says so; a verified fetch then fetches it again") {
  const auto entries = kernel_entries();
  const std::string deb = kernel_deb(entries, entries);
  FakeMirror m;
  publish(m, deb);
  ScratchDir cache;
  std::vector<std::string> log;
  FetchOptions o = options_for(m, cache.path());
  o.log = [&](const std::string& line) { log.push_back(line); };
  o.fetch_mode = FetchMode::Partial;

  auto k = fetch_debian(kSel, o);
  REQUIRE_MESSAGE(k.ok(), why(k));
  CHECK(inspect_image(k->image)->release == kAbi);
  CHECK(k->verified == kVerifiedPartial);
  CHECK(k->package_size == deb.size());
  CHECK_MESSAGE(k->bytes_fetched < deb.size() / 2, k->bytes_fetched, " of ", deb.size());
  CHECK(has(k->warnings, "SHA-256 from the signed index was not checked"));
  CHECK(has(log, "of " + kPackage + " (stopped early"));
  json meta = meta_of(cache.path());
  CHECK(meta["verified"] == "partial (md5sums in the package; package sha256 not checked)");
  CHECK(meta["bytes_fetched"] == k->bytes_fetched);
  CHECK(meta["package_size"] == deb.size());

  auto cached = fetch_debian(kSel, o);  // partial asked, partial cached: served
  REQUIRE_MESSAGE(cached.ok(), why(cached));
  CHECK(cached->from_cache);
  CHECK(cached->bytes_fetched == 0);
  CHECK(has(cached->warnings, "fetched partially"));

  o.fetch_mode = FetchMode::Verified;
  auto verified = fetch_debian(kSel, o);
  REQUIRE_MESSAGE(verified.ok(), why(verified));
  CHECK_FALSE(verified->from_cache);
  CHECK(verified->verified == kVerifiedSha256);
  CHECK(verified->bytes_fetched == deb.size());
  CHECK(verified->warnings.empty());
  CHECK(has(log, kId + ": fetching again: it was fetched partially"));
  CHECK(has(log, "fetched " + std::to_string(deb.size() / 100000 / 10) + "."));
  CHECK(meta_of(cache.path())["verified"] == "sha256");

  o.fetch_mode = FetchMode::Partial;  // a verified entry serves partial requests
  auto again = fetch_debian(kSel, o);
  REQUIRE_MESSAGE(again.ok(), why(again));
  CHECK(again->from_cache);
  CHECK(again->verified == kVerifiedSha256);
  CHECK(again->warnings.empty());
}

TEST_CASE("KGRID_FETCH picks the mode when the options do not; a bad value is an error") {
  const auto entries = kernel_entries();
  FakeMirror m;
  publish(m, kernel_deb(entries, entries));
  const char* saved = std::getenv("KGRID_FETCH");
  const std::string saved_value = saved ? saved : "";
  ScratchDir cache;
  ::setenv("KGRID_FETCH", "sometimes", 1);
  auto bad = fetch_debian(kSel, options_for(m, cache.path()));
  REQUIRE_FALSE(bad.ok());
  CHECK_MESSAGE(bad.error().message.find("KGRID_FETCH") != std::string::npos, bad.error().message);
  ::setenv("KGRID_FETCH", "partial", 1);
  auto partial = fetch_debian(kSel, options_for(m, cache.path()));
  REQUIRE_MESSAGE(partial.ok(), why(partial));
  CHECK(partial->verified == kVerifiedPartial);
  FetchOptions explicit_verified = options_for(m, cache.path());
  explicit_verified.fetch_mode = FetchMode::Verified;  // the option wins over the environment
  auto verified = fetch_debian(kSel, explicit_verified);
  REQUIRE_MESSAGE(verified.ok(), why(verified));
  CHECK(verified->verified == kVerifiedSha256);
  if (saved) ::setenv("KGRID_FETCH", saved_value.c_str(), 1);
  else ::unsetenv("KGRID_FETCH");
}

TEST_CASE("verified: a corrupted byte after vmlinuz and config is caught and nothing is cached") {
  const auto entries = kernel_entries();
  const std::string deb = kernel_deb(entries, entries);
  FakeMirror m;
  publish(m, deb);
  std::string bad = deb;
  bad[bad.size() - 5000] ^= 0x40;  // in the modules, long after boot/
  write_file(m.dir.path() / FakeMirror::pool_path(kPackage, "1"), bad);
  ScratchDir cache;
  FetchOptions o = options_for(m, cache.path());
  o.fetch_mode = FetchMode::Verified;
  auto k = fetch_debian(kSel, o);
  REQUIRE_FALSE(k.ok());
  CHECK_MESSAGE(k.error().message.find("SHA-256 mismatch") != std::string::npos, k.error().message);
  CHECK(empty_or_missing(cache.path() / "kernels"));
  CHECK(empty_or_missing(cache.path() / "downloads"));
  // Partial mode never reads that byte: the trade it makes, recorded as such.
  o.fetch_mode = FetchMode::Partial;
  auto partial = fetch_debian(kSel, o);
  REQUIRE_MESSAGE(partial.ok(), why(partial));
  CHECK(partial->verified == kVerifiedPartial);
}

TEST_CASE("partial: a vmlinuz that does not match the package's md5sums is caught and nothing is cached") {
  const auto honest = kernel_entries();
  auto entries = honest;
  entries[2].data[0x300] ^= 0x01;  // in the version string
  FakeMirror m;
  publish(m, kernel_deb(entries, honest));
  ScratchDir cache;
  FetchOptions o = options_for(m, cache.path());
  o.fetch_mode = FetchMode::Partial;
  auto k = fetch_debian(kSel, o);
  REQUIRE_FALSE(k.ok());
  CHECK_MESSAGE(k.error().message.find("boot/vmlinuz-" + kAbi + " does not match the package's md5sums") !=
                    std::string::npos,
                k.error().message);
  CHECK(empty_or_missing(cache.path() / "kernels"));
}

TEST_CASE("a transfer that breaks off leaves no entry in the cache") {
  const auto entries = kernel_entries();
  const std::string deb = kernel_deb(entries, entries);
  const std::string pool = FakeMirror::pool_path(kPackage, "1");
  struct Case {
    size_t cut;
    FetchMode mode;
  };
  // Cut after boot/ (verified needs the rest) and inside control.tar (both
  // modes need more).
  for (const Case c : {Case{deb.size() - 200000, FetchMode::Verified}, Case{300, FetchMode::Verified},
                       Case{300, FetchMode::Partial}}) {
    CAPTURE(c.cut);
    CAPTURE(fetch_mode_name(c.mode));
    FakeMirror m;
    m.cut_after[pool] = c.cut;
    publish(m, deb);
    ScratchDir cache;
    FetchOptions o = options_for(m, cache.path());
    o.fetch_mode = c.mode;
    auto k = fetch_debian(kSel, o);
    REQUIRE_FALSE(k.ok());
    CHECK_MESSAGE(k.error().message.find(m.url() + "/" + pool) != std::string::npos, k.error().message);
    CHECK(empty_or_missing(cache.path() / "kernels"));
  }
}

TEST_CASE("the new layout streams two packages; meta.json adds up both") {
  const std::string abi = "7.2.13+deb98-amd64", v = "7.2.13-1";
  const std::string mods = "./usr/lib/modules/" + abi + "/";
  // dpkg-deb sorts entries: vmlinuz comes after kernel/, near the end.
  const std::vector<E> binary = {{E::File, mods + "kernel/big.ko", random_bytes(2 << 20, 6), ""},
                                 {E::File, mods + "vmlinuz", make_bzimage(abi + " (t@e) #1", "\x28\xb5\x2f\xfd"), ""}};
  const std::vector<E> base = {{E::File, mods + "config", "CONFIG_BPF=y\n", ""},
                               {E::File, mods + "System.map", random_bytes(3 << 20, 8), ""}};
  const std::string binary_deb = make_deb("data.tar.zst", make_tar(binary, "zstd"), md5sums_of(binary));
  const std::string base_deb = make_deb("data.tar.zst", make_tar(base, "zstd"), md5sums_of(base));
  FakeMirror m;
  m.serve_http();
  m.add("linux-image-amd64", v, "linux-image-" + abi, "", 1692);
  m.add("linux-image-" + abi, v, "linux-base-" + abi + ", linux-binary-" + abi, "", 1892);
  m.add("linux-binary-" + abi, v, "linux-base-" + abi, binary_deb);
  m.add("linux-base-" + abi, v, "", base_deb);
  m.publish("sid");
  ScratchDir cache;
  FetchOptions o = options_for(m, cache.path());
  o.fetch_mode = FetchMode::Partial;
  auto k = fetch_debian(Selector{"sid", "linux-image-amd64", "amd64"}, o);
  REQUIRE_MESSAGE(k.ok(), why(k));
  CHECK(inspect_image(k->image)->release == abi);
  CHECK(k->package_size == binary_deb.size() + base_deb.size());
  // All of linux-binary (vmlinuz is last), little of linux-base.
  CHECK(k->bytes_fetched > binary_deb.size());
  CHECK(k->bytes_fetched < binary_deb.size() + base_deb.size() / 2);
  CHECK(k->verified == kVerifiedPartial);
}
