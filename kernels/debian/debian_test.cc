#include "kernels/debian/debian.h"

#include <doctest/doctest.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <thread>
#include <stdlib.h>

#include "kernels/image/config.h"
#include "kernels/image/image.h"
#include "kernels/sha256.h"
#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;
using E = TarEntry;

TEST_CASE("selectors parse, and bad ones say why") {
  auto s = parse_selector("debian:bookworm/linux-image-amd64");
  REQUIRE(s.ok());
  CHECK(s->suite == "bookworm");
  CHECK(s->package == "linux-image-amd64");
  CHECK(s->arch == "amd64");
  CHECK(s->text() == "debian:bookworm/linux-image-amd64");
  auto a = parse_selector("debian:sid/linux-image-7.2.13+deb14-arm64@arm64");
  REQUIRE(a.ok());
  CHECK(a->package == "linux-image-7.2.13+deb14-arm64");
  CHECK(a->arch == "arm64");
  CHECK(a->text() == "debian:sid/linux-image-7.2.13+deb14-arm64@arm64");

  for (const char* bad : {"bookworm/linux-image-amd64", "debian:bookworm", "debian:/linux-image-amd64",
                          "debian:bookworm/", "debian:../x/linux-image-amd64", "debian:bookworm/../../x",
                          "debian:bookworm/linux-image-amd64@", "debian:bookworm/linux-image-amd64@AMD64",
                          "debian:Bookworm/linux-image-amd64", "debian:bookworm/a/b"}) {
    CAPTURE(bad);
    auto r = parse_selector(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(bad) != std::string::npos);
  }
}

namespace {

const std::string kOldAbi = "6.1.0-99-amd64";
const std::string kNewAbi = "7.2.13+deb99-amd64";

std::string bz(const std::string& abi) {
  return make_bzimage(abi + " (debian-kernel@lists.example) #1 SMP Debian test", "\x28\xb5\x2f\xfd");
}

// A 1+ MiB deb (bigger than a metapackage) in the old layout.
std::string old_layout_deb(const std::string& abi, std::vector<E> extra = {}) {
  std::vector<E> entries = {{E::Dir, "./boot/", "", ""},
                            {E::File, "./boot/System.map-" + abi, "map", ""},
                            {E::File, "./boot/config-" + abi, "CONFIG_BPF=y\nCONFIG_HZ=250\n", ""},
                            {E::File, "./boot/vmlinuz-" + abi, bz(abi), ""}};
  for (auto& e : extra) entries.insert(entries.begin(), e);
  entries.push_back({E::File, "./lib/modules/" + abi + "/big.ko", random_bytes(1200000, 1), ""});
  return make_deb("data.tar.zst", make_tar(entries, "zstd"));
}

}  // namespace

TEST_CASE("fetch from a mirror in the old layout, then from the cache without the mirror") {
  FakeMirror m;
  m.add("linux-image-amd64", "6.1.999-1", "linux-image-" + kOldAbi + " (= 6.1.999-1)", "", 1480);
  m.add("linux-image-" + kOldAbi, "6.1.999-1", "kmod, initramfs-tools | linux-initramfs-tool",
        old_layout_deb(kOldAbi));
  m.publish("bookworm");
  ScratchDir cache;
  const Selector sel = *parse_selector("debian:bookworm/linux-image-amd64");

  auto k = fetch_debian(sel, options_for(m, cache.path()));
  REQUIRE_MESSAGE(k.ok(), why(k));
  CHECK(k->id == "debian-bookworm-" + kOldAbi);
  CHECK(k->release == kOldAbi);
  CHECK(k->version == "6.1.999-1");
  CHECK(k->package == "linux-image-amd64");
  CHECK_FALSE(k->from_cache);
  CHECK(k->image == cache.path() / "kernels" / k->id / "vmlinuz");
  CHECK(inspect_image(k->image)->release == kOldAbi);
  CHECK(KernelConfig::load(k->config)->is_set("CONFIG_BPF"));
  CHECK(fs::exists(cache.path() / "kernels" / k->id / "meta.json"));
  CHECK(empty_or_missing(cache.path() / "downloads"));  // the .deb is gone
  CHECK(*find_config(k->image, k->release) == k->config);

  // Without the pool (and later without the whole mirror) the cache serves.
  fs::remove_all(m.dir.path() / "pool");
  auto again = fetch_debian(sel, options_for(m, cache.path()));
  REQUIRE_MESSAGE(again.ok(), why(again));
  CHECK(again->from_cache);
  CHECK(again->image == k->image);

  fs::remove_all(m.dir.path() / "dists");
  FetchOptions off = options_for(m, cache.path());
  off.offline = true;
  auto offline = fetch_debian(sel, off);
  REQUIRE_MESSAGE(offline.ok(), why(offline));
  CHECK(offline->from_cache);
  CHECK(offline->release == kOldAbi);

  // A damaged cached kernel is noticed (and cannot be re-fetched offline).
  write_file(k->image, "garbage");
  auto damaged = fetch_debian(sel, off);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.error().message.find("offline") != std::string::npos);

  auto never = fetch_debian(*parse_selector("debian:trixie/linux-image-amd64"), off);
  REQUIRE_FALSE(never.ok());
  CHECK(never.error().message.find("debian:trixie/linux-image-amd64") != std::string::npos);
}

TEST_CASE("fetch from a mirror in the new layout (linux-binary + linux-base)") {
  FakeMirror m;
  const std::string v = "7.2.13-1";
  const std::string mods = "./usr/lib/modules/" + kNewAbi + "/";
  m.add("linux-image-amd64", v, "linux-base-amd64 (= " + v + "), linux-image-" + kNewAbi, "", 1692);
  m.add("linux-base-amd64", v, "linux-base-" + kNewAbi, "", 1208);
  m.add("linux-image-" + kNewAbi, v,
        "dracut | initramfs-tools, linux-base-" + kNewAbi + ", linux-binary-" + kNewAbi, "", 1892);
  m.add("linux-binary-" + kNewAbi, v, "linux-base-" + kNewAbi,
        make_deb("data.tar.xz", make_tar({{E::File, mods + "vmlinuz", bz(kNewAbi), ""},
                                           {E::File, "./usr/share/big", random_bytes(1100000, 2), ""}})));
  m.add("linux-base-" + kNewAbi, v, "",
        make_deb("data.tar.xz", make_tar({{E::File, mods + "System.map", "x", ""},
                                           {E::File, mods + "config", "CONFIG_BPF=y\n", ""}})));
  m.publish("sid");
  ScratchDir cache;
  auto k = fetch_debian(*parse_selector("debian:sid/linux-image-amd64"), options_for(m, cache.path()));
  REQUIRE_MESSAGE(k.ok(), why(k));
  CHECK(k->id == "debian-sid-" + kNewAbi);
  CHECK(inspect_image(k->image)->release == kNewAbi);
  CHECK(KernelConfig::load(k->config)->is_set("CONFIG_BPF"));
  CHECK(empty_or_missing(cache.path() / "downloads"));
}

TEST_CASE("a SHA-256 mismatch or a hostile package caches nothing") {
  ScratchDir cache;
  {
    FakeMirror m;
    m.add("linux-image-amd64", "1", "linux-image-" + kOldAbi, "", 1480);
    m.add("linux-image-" + kOldAbi, "1", "", old_layout_deb(kOldAbi), 0, std::string(64, '0'));
    m.publish("bookworm");
    auto k = fetch_debian(*parse_selector("debian:bookworm/linux-image-amd64"), options_for(m, cache.path()));
    REQUIRE_FALSE(k.ok());
    CHECK(k.error().message.find("SHA-256 mismatch") != std::string::npos);
  }
  {
    FakeMirror m;
    m.add("linux-image-amd64", "1", "linux-image-" + kOldAbi, "", 1480);
    m.add("linux-image-" + kOldAbi, "1", "",
          old_layout_deb(kOldAbi, {{E::File, "../../../../evil", "EVIL", ""}}));
    m.publish("trixie");
    auto k = fetch_debian(*parse_selector("debian:trixie/linux-image-amd64"), options_for(m, cache.path()));
    REQUIRE_FALSE(k.ok());
    CHECK(k.error().message.find("unsafe entry") != std::string::npos);
  }
  {
    FakeMirror m;  // the package holds another kernel than its name says
    m.add("linux-image-" + kOldAbi, "1", "",
          make_deb("data.tar.xz", make_tar({{E::File, "./boot/vmlinuz-" + kOldAbi, bz("6.1.0-1-amd64"), ""},
                                            {E::File, "./boot/config-" + kOldAbi, "CONFIG_A=y\n", ""},
                                            {E::File, "./big", random_bytes(1100000, 3), ""}})));
    m.publish("sid");
    auto k = fetch_debian(*parse_selector("debian:sid/linux-image-" + kOldAbi), options_for(m, cache.path()));
    REQUIRE_FALSE(k.ok());
    CHECK(k.error().message.find("reports release 6.1.0-1-amd64") != std::string::npos);
  }
  CHECK(empty_or_missing(cache.path() / "kernels"));
  CHECK(empty_or_missing(cache.path() / "downloads"));
  for (auto& e : fs::recursive_directory_iterator(cache.path().parent_path())) {
    CHECK_MESSAGE(e.path().filename() != "evil", e.path().string());
  }
}

TEST_CASE("the archive's signature and index hash are checked; a failed check caches nothing") {
  const Selector sel = *parse_selector("debian:bookworm/linux-image-amd64");
  auto good_mirror = [](FakeMirror& m) {
    m.add("linux-image-amd64", "1", "linux-image-" + kOldAbi, "", 1480);
    m.add("linux-image-" + kOldAbi, "1", "", old_layout_deb(kOldAbi));
    m.publish("bookworm");
  };
  auto nothing_cached = [](const fs::path& cache) {
    CHECK(empty_or_missing(cache / "kernels"));
    CHECK_FALSE(fs::exists(cache / "debian" / "bookworm-amd64" / "Packages.xz"));
    CHECK_FALSE(fs::exists(cache / "debian" / "bookworm-amd64" / "InRelease"));
  };
  const fs::path inrelease_rel = fs::path("dists") / "bookworm" / "InRelease";

  SUBCASE("an altered InRelease") {
    FakeMirror m;
    good_mirror(m);
    std::string text = slurp(m.dir.path() / inrelease_rel);
    size_t at = text.find("Codename: bookworm");
    REQUIRE(at != std::string::npos);
    text.replace(at, 18, "Codename: bookwarm");
    write_file(m.dir.path() / inrelease_rel, text);
    ScratchDir cache;
    auto k = fetch_debian(sel, options_for(m, cache.path()));
    REQUIRE_FALSE(k.ok());
    CHECK_MESSAGE(k.error().message.find("BAD signature") != std::string::npos, k.error().message);
    nothing_cached(cache.path());
  }
  SUBCASE("an InRelease signed by a key outside the keyring") {
    TestSigner stranger("kgrid stranger");
    FakeMirror m;
    m.signer = &stranger;
    good_mirror(m);
    ScratchDir cache;
    FetchOptions o = options_for(m, cache.path());
    o.keyring = TestSigner::shared().keyring();
    auto k = fetch_debian(sel, o);
    REQUIRE_FALSE(k.ok());
    CHECK_MESSAGE(k.error().message.find("not in the keyring") != std::string::npos, k.error().message);
    nothing_cached(cache.path());
  }
  SUBCASE("an unsigned InRelease") {
    FakeMirror m;
    good_mirror(m);
    std::string text = slurp(m.dir.path() / inrelease_rel);
    size_t body = text.find("\n\n") + 2;
    write_file(m.dir.path() / inrelease_rel, text.substr(body, text.find("-----BEGIN PGP SIGNATURE") - body));
    ScratchDir cache;
    auto k = fetch_debian(sel, options_for(m, cache.path()));
    REQUIRE_FALSE(k.ok());
    CHECK_MESSAGE(k.error().message.find("signature check") != std::string::npos, k.error().message);
    nothing_cached(cache.path());
  }
  SUBCASE("a Packages.xz that is not the one InRelease lists") {
    FakeMirror m;
    good_mirror(m);
    const fs::path bin = m.dir.path() / "dists" / "bookworm" / "main" / "binary-amd64";
    ScratchDir cache;
    SUBCASE("same size, other bytes") {
      std::string evil = slurp(bin / "Packages.xz");
      evil[evil.size() / 2] ^= 0x20;
      write_file(bin / "Packages.xz", evil);
      for (auto& e : fs::directory_iterator(bin / "by-hash" / "SHA256")) write_file(e.path(), evil);
      auto k = fetch_debian(sel, options_for(m, cache.path()));
      REQUIRE_FALSE(k.ok());
      CHECK_MESSAGE(k.error().message.find("SHA-256 mismatch") != std::string::npos, k.error().message);
    }
    SUBCASE("another index") {
      m.index["amd64"] += "Package: linux-image-evil\nVersion: 1\n\n";
      const std::string evil = xz_compress(m.index["amd64"]);
      write_file(bin / "Packages.xz", evil);
      for (auto& e : fs::directory_iterator(bin / "by-hash" / "SHA256")) write_file(e.path(), evil);
      auto k = fetch_debian(sel, options_for(m, cache.path()));
      REQUIRE_FALSE(k.ok());
      CHECK_MESSAGE(k.error().message.find("expected 2") != std::string::npos, k.error().message);
    }
    nothing_cached(cache.path());
  }
  SUBCASE("a signed InRelease of another suite") {
    FakeMirror m;
    m.add("linux-image-amd64", "1", "linux-image-" + kOldAbi, "", 1480);
    m.add("linux-image-" + kOldAbi, "1", "", old_layout_deb(kOldAbi));
    m.publish("bookworm", "bullseye");
    ScratchDir cache;
    auto k = fetch_debian(sel, options_for(m, cache.path()));
    REQUIRE_FALSE(k.ok());
    CHECK_MESSAGE(k.error().message.find("belongs to suite") != std::string::npos, k.error().message);
    nothing_cached(cache.path());
  }
  SUBCASE("a damaged cached index is fetched again online and refused offline") {
    FakeMirror m;
    good_mirror(m);
    ScratchDir cache;
    FetchOptions o = options_for(m, cache.path());
    REQUIRE(fetch_debian(sel, o).ok());
    const fs::path cached_xz = cache.path() / "debian" / "bookworm-amd64" / "Packages.xz";
    const std::string good_xz = slurp(cached_xz);
    write_file(cached_xz, xz_compress("Package: linux-image-evil\n\n"));
    fs::remove_all(cache.path() / "debian" / "bookworm-amd64" / "resolved");
    FetchOptions off = o;
    off.offline = true;
    auto refused = fetch_debian(sel, off);
    REQUIRE_FALSE(refused.ok());
    CHECK_MESSAGE(refused.error().message.find("does not match the signed InRelease") != std::string::npos,
                  refused.error().message);
    auto healed = fetch_debian(sel, o);
    REQUIRE_MESSAGE(healed.ok(), why(healed));
    CHECK(slurp(cached_xz) == good_xz);
  }
  SUBCASE("a refresh that fails verification is an error, not a fallback") {
    FakeMirror m;
    good_mirror(m);
    ScratchDir cache;
    FetchOptions o = options_for(m, cache.path());
    REQUIRE(fetch_debian(sel, o).ok());
    std::string text = slurp(m.dir.path() / inrelease_rel);
    text.replace(text.find("Origin: Test"), 12, "Origin: Evil");
    write_file(m.dir.path() / inrelease_rel, text);
    o.index_max_age = std::chrono::seconds(0);
    auto k = fetch_debian(sel, o);
    REQUIRE_FALSE(k.ok());
    CHECK(k.error().message.find("BAD signature") != std::string::npos);
  }
}

TEST_CASE("a stale index is refreshed and a new build replaces the old") {
  FakeMirror m;
  m.add("linux-image-amd64", "1", "linux-image-" + kOldAbi, "", 1480);
  m.add("linux-image-" + kOldAbi, "1", "", old_layout_deb(kOldAbi));
  m.publish("bookworm");
  ScratchDir cache;
  FetchOptions o = options_for(m, cache.path());
  const Selector sel = *parse_selector("debian:bookworm/linux-image-amd64");
  REQUIRE(fetch_debian(sel, o).ok());

  FakeMirror m2;  // same ABI, rebuilt package (different bytes)
  m2.add("linux-image-amd64", "2", "linux-image-" + kOldAbi, "", 1480);
  m2.add("linux-image-" + kOldAbi, "2", "", old_layout_deb(kOldAbi, {{E::File, "./NEWS", "rebuilt", ""}}));
  m2.publish("bookworm");
  o.mirror = m2.url();
  auto fresh = fetch_debian(sel, o);  // index is fresh: still the old build
  REQUIRE(fresh.ok());
  CHECK(fresh->version == "1");
  o.index_max_age = std::chrono::seconds(0);
  // Leftovers of a killed run: removed once a day old, recent ones kept.
  const auto two_days_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
  write_file(cache.path() / "downloads" / "x.deb.tmp-1-0", "old");
  fs::last_write_time(cache.path() / "downloads" / "x.deb.tmp-1-0", two_days_ago);
  fs::create_directories(cache.path() / "kernels" / ".debian-bookworm-x.tmp-1-0" / "sub");
  fs::last_write_time(cache.path() / "kernels" / ".debian-bookworm-x.tmp-1-0", two_days_ago);
  write_file(cache.path() / "downloads" / "y.deb.tmp-2-0", "recent");
  auto rebuilt = fetch_debian(sel, o);
  REQUIRE_MESSAGE(rebuilt.ok(), why(rebuilt));
  CHECK(rebuilt->version == "2");
  CHECK_FALSE(rebuilt->from_cache);
  size_t dirs = 0;
  for (auto& e : fs::directory_iterator(cache.path() / "kernels")) (void)e, ++dirs;
  CHECK(dirs == 1);
  CHECK_FALSE(fs::exists(cache.path() / "downloads" / "x.deb.tmp-1-0"));
  CHECK(fs::exists(cache.path() / "downloads" / "y.deb.tmp-2-0"));
}

TEST_CASE("concurrent fetches of one kernel download it once; KGRID_OFFLINE is honoured") {
  FakeMirror m;
  m.add("linux-image-amd64", "1", "linux-image-" + kOldAbi, "", 1480);
  m.add("linux-image-" + kOldAbi, "1", "", old_layout_deb(kOldAbi));
  m.publish("bookworm");
  ScratchDir cache;
  const Selector sel = *parse_selector("debian:bookworm/linux-image-amd64");
  std::optional<kgrid::Result<FetchedKernel>> a, b;
  std::thread ta([&] { a = fetch_debian(sel, options_for(m, cache.path())); });
  std::thread tb([&] { b = fetch_debian(sel, options_for(m, cache.path())); });
  ta.join();
  tb.join();
  REQUIRE_MESSAGE(a->ok(), why(*a));
  REQUIRE_MESSAGE(b->ok(), why(*b));
  CHECK((*a)->image == (*b)->image);
  CHECK((*a)->from_cache != (*b)->from_cache);

  const char* saved = std::getenv("KGRID_OFFLINE");
  std::string saved_value = saved ? saved : "";
  ::setenv("KGRID_OFFLINE", "1", 1);
  CHECK(offline_from_env());
  fs::remove_all(m.dir.path() / "dists");
  FetchOptions o = options_for(m, cache.path());
  o.index_max_age = std::chrono::seconds(0);  // would refresh if online
  auto off = fetch_debian(sel, o);
  CHECK(off.ok());
  ::setenv("KGRID_OFFLINE", "0", 1);
  CHECK_FALSE(offline_from_env());
  auto online = fetch_debian(sel, o);  // refresh fails, the old index is used with a warning
  REQUIRE_MESSAGE(online.ok(), why(online));
  REQUIRE(online->warnings.size() == 1);
  CHECK(online->warnings[0].find("could not refresh") != std::string::npos);
  if (saved) ::setenv("KGRID_OFFLINE", saved_value.c_str(), 1);
  else ::unsetenv("KGRID_OFFLINE");
}

namespace {

// Fetches a real kernel from the machine's Debian mirror and checks it.
void check_real_fetch(const std::string& selector, const std::string& expected_layout_file,
                      const std::string& arch = "x86_64") {
  if (!network_allowed()) {
    MESSAGE("skipped: KGRID_NO_NETWORK is set");
    return;
  }
  FetchOptions o;
  o.log = [](const std::string& line) { std::cerr << "kernels_test: " << line << "\n"; };
  auto sel = parse_selector(selector);
  REQUIRE(sel.ok());
  auto t0 = std::chrono::steady_clock::now();
  auto k = fetch_debian(*sel, o);
  auto t1 = std::chrono::steady_clock::now();
  REQUIRE_MESSAGE(k.ok(), why(k));
  auto img = inspect_image(k->image);
  REQUIRE_MESSAGE(img.ok(), why(img));
  CHECK(img->arch == arch);
  CHECK(img->release == k->release);
  CHECK(k->id == "debian-" + sel->suite + "-" + k->release);
  // The release carries the upstream major.minor of the package version.
  const std::string upstream = k->version.substr(0, k->version.find('.', k->version.find('.') + 1));
  CHECK_MESSAGE(k->release.starts_with(upstream + "."), k->release, " vs ", k->version);
  CHECK(k->release.ends_with("-" + sel->arch));
  auto cfg = KernelConfig::load(k->config);
  REQUIRE_MESSAGE(cfg.ok(), why(cfg));
  CHECK(cfg->is_set("CONFIG_BPF_SYSCALL"));
  auto again = fetch_debian(*sel, o);
  auto t2 = std::chrono::steady_clock::now();
  REQUIRE(again.ok());
  CHECK(again->from_cache);
  using ms = std::chrono::milliseconds;
  MESSAGE(selector, " -> ", k->id, " (", k->version, ", ", img->compression, ", ",
          fs::file_size(k->image), " bytes, layout ", expected_layout_file, "): first ",
          std::chrono::duration_cast<ms>(t1 - t0).count(), " ms, cached ",
          std::chrono::duration_cast<ms>(t2 - t1).count(), " ms");
}

}  // namespace

TEST_CASE("real: debian:bookworm/linux-image-amd64") {
  check_real_fetch("debian:bookworm/linux-image-amd64", "boot/vmlinuz-<abi>");
}

TEST_CASE("real: debian:sid/linux-image-amd64 (new layout)") {
  check_real_fetch("debian:sid/linux-image-amd64", "usr/lib/modules/<abi>/vmlinuz");
}

TEST_CASE("real: debian:bullseye/linux-image-amd64") {
  check_real_fetch("debian:bullseye/linux-image-amd64", "boot/vmlinuz-<abi>");
}

TEST_CASE("real: debian:sid/linux-image-arm64@arm64 (arm64 Image)") {
  check_real_fetch("debian:sid/linux-image-arm64@arm64", "usr/lib/modules/<abi>/vmlinuz", "arm64");
}
