#include "kernels/download/url_kernel.h"

#include <doctest/doctest.h>

#include "kernels/image/image.h"
#include "kernels/sha256.h"
#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;
namespace fs = std::filesystem;
using E = TarEntry;

TEST_CASE("kernel URLs must be pinned") {
  const std::string sha(64, 'a');
  auto r = parse_url_ref("https://example.invalid/k/bzImage#sha256=" + sha);
  REQUIRE(r.ok());
  CHECK(r->url == "https://example.invalid/k/bzImage");
  CHECK(r->sha256 == sha);
  CHECK(r->text() == "https://example.invalid/k/bzImage#sha256=" + sha);
  CHECK(parse_url_ref("https://example.invalid/k").error().message.find("pinned") != std::string::npos);
  CHECK_FALSE(parse_url_ref("https://example.invalid/k#sha256=abc").ok());
  CHECK_FALSE(parse_url_ref("https://example.invalid/k#sha256=" + std::string(64, 'A')).ok());
  CHECK_FALSE(parse_url_ref("ftp://example.invalid/k#sha256=" + sha).ok());
  CHECK(is_url("file:///x"));
  CHECK_FALSE(is_url("debian:sid/x"));
}

TEST_CASE("pinned URLs: a bzImage, a .deb and an RPM; a wrong pin caches nothing") {
  ScratchDir src, cache;
  FetchOptions o;
  o.cache_dir = cache.path();
  const std::string image = make_bzimage("6.6.6-test (x@y) #1", "\x1f\x8b");
  write_file(src.path() / "bzImage", image);
  write_file(src.path() / "k.deb",
             make_deb("data.tar.zst", make_tar({{E::File, "./boot/vmlinuz-6.7.0-1-amd64", make_bzimage("6.7.0-1-amd64 (x@y) #1", "\x1f\x8b"), ""},
                                                {E::File, "./boot/config-6.7.0-1-amd64", "CONFIG_X=y\n", ""}}, "zstd")));
  write_file(src.path() / "k.rpm",
             make_rpm({{E::File, "./lib/modules/6.8.0-1.fc40.x86_64/vmlinuz", make_bzimage("6.8.0-1.fc40.x86_64 (x@y) #1", "\x1f\x8b"), ""}}));
  auto pin = [&](const std::string& name) {
    return UrlRef{"file://" + (src.path() / name).string(), sha256_hex(slurp(src.path() / name))};
  };

  auto bzimage = fetch_url_kernel(pin("bzImage"), o);
  REQUIRE_MESSAGE(bzimage.ok(), why(bzimage));
  CHECK(bzimage->release == "6.6.6-test");
  CHECK(bzimage->id == "url-" + pin("bzImage").sha256.substr(0, 16));
  CHECK(bzimage->config.empty());
  CHECK_FALSE(bzimage->from_cache);
  auto again = fetch_url_kernel(pin("bzImage"), o);
  REQUIRE(again.ok());
  CHECK(again->from_cache);

  auto deb = fetch_url_kernel(pin("k.deb"), o);
  REQUIRE_MESSAGE(deb.ok(), why(deb));
  CHECK(deb->release == "6.7.0-1-amd64");
  CHECK(slurp(deb->config) == "CONFIG_X=y\n");
  auto rpm = fetch_url_kernel(pin("k.rpm"), o);
  REQUIRE_MESSAGE(rpm.ok(), why(rpm));
  CHECK(rpm->release == "6.8.0-1.fc40.x86_64");

  UrlRef wrong = pin("bzImage");
  wrong.url = "file://" + (src.path() / "k.deb").string();
  ScratchDir cache2;
  o.cache_dir = cache2.path();
  auto bad = fetch_url_kernel(wrong, o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("SHA-256 mismatch") != std::string::npos);
  CHECK((!fs::exists(cache2.path() / "kernels") || fs::is_empty(cache2.path() / "kernels")));
  CHECK((!fs::exists(cache2.path() / "downloads") || fs::is_empty(cache2.path() / "downloads")));

  write_file(src.path() / "junk", "not a kernel at all, just some bytes");
  auto junk = fetch_url_kernel(pin("junk"), o);
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().message.find("not a kernel") != std::string::npos);
}
