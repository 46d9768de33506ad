#include "kernels/debian/packages.h"

#include <doctest/doctest.h>

#include "kernels/testing.h"

using namespace kgrid::kernels;
using kgrid::kernels::testing::why;

namespace {
const std::string kSha(64, 'a');
std::string stanza(const std::string& name, const std::string& version, const std::string& depends,
                   uint64_t size) {
  std::string s = "Package: " + name + "\nSource: linux-signed-amd64 (1)\nVersion: " + version +
                  "\nInstalled-Size: 10\n";
  if (!depends.empty()) s += "Depends: " + depends + "\n";
  s += "Description: x\n continuation line: with colon\n .\n";
  s += "Filename: pool/main/l/linux/" + name + "_" + version + "_amd64.deb\nSize: " +
       std::to_string(size) + "\nSHA256: " + kSha + "\n\n";
  return s;
}

// bookworm-style: the metapackage depends on linux-image-<abi>, which holds
// boot/vmlinuz-<abi> and boot/config-<abi>.
const std::string kOldLayout =
    stanza("linux-image-amd64", "6.1.176-1", "linux-image-6.1.0-50-amd64 (= 6.1.176-1)", 1480) +
    stanza("linux-image-6.1.0-50-amd64", "6.1.176-1",
           "kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool",
           70305560) +
    stanza("linux-image-6.1.0-50-amd64-unsigned", "6.1.176-1", "kmod", 70000000) +
    stanza("hello", "1.0", "", 5000);

// sid-style: linux-image-<abi> is tiny; the kernel is in linux-binary-<abi>
// and the config in linux-base-<abi>.
const std::string kNewLayout =
    stanza("linux-image-amd64", "7.2.13-1",
           "linux-base-amd64 (= 7.2.13-1), linux-image-7.2.13+deb14-amd64 (= 7.2.13-1)", 1692) +
    stanza("linux-base-amd64", "7.2.13-1", "linux-base-7.2.13+deb14-amd64 (= 7.2.13-1)", 1208) +
    stanza("linux-image-7.2.13+deb14-amd64", "7.2.13-1",
           "dracut | initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool, "
           "linux-base-7.2.13+deb14-amd64 (= 7.2.13-1), linux-binary-7.2.13+deb14-amd64 (= 7.2.13-1), "
           "linux-modules-7.2.13+deb14-amd64 (= 7.2.13-1)",
           1892) +
    stanza("linux-binary-7.2.13+deb14-amd64", "7.2.13-1", "linux-base-7.2.13+deb14-amd64 (= 7.2.13-1)",
           14252084) +
    stanza("linux-base-7.2.13+deb14-amd64", "7.2.13-1", "", 469412) +
    stanza("linux-modules-7.2.13+deb14-amd64", "7.2.13-1", "", 90000000);
}  // namespace

TEST_CASE("Packages stanzas parse, in any chunking") {
  PackageIndex whole = parse_packages(kOldLayout);
  REQUIRE(whole.size() == 4);
  const PackageEntry& e = whole.at("linux-image-6.1.0-50-amd64");
  CHECK(e.version == "6.1.176-1");
  CHECK(e.size == 70305560);
  CHECK(e.sha256 == kSha);
  CHECK(e.source == "linux-signed-amd64 (1)");
  CHECK(e.filename == "pool/main/l/linux/linux-image-6.1.0-50-amd64_6.1.176-1_amd64.deb");
  CHECK(e.depends.starts_with("kmod, linux-base"));

  for (size_t step : {1, 7, 100}) {
    PackageIndex idx;
    PackagesParser p([&](PackageEntry&& x) { idx[x.name] = std::move(x); }, is_kernel_package_name);
    for (size_t i = 0; i < kOldLayout.size(); i += step) p.feed(std::string_view(kOldLayout).substr(i, step));
    p.finish();
    CHECK(idx.size() == 3);  // "hello" is filtered out
    CHECK(idx.at("linux-image-amd64").depends == whole.at("linux-image-amd64").depends);
  }
  // No trailing blank line: the last stanza still counts.
  CHECK(parse_packages("Package: a\nVersion: 1").at("a").version == "1");
}

TEST_CASE("first alternatives drop versions, alternatives and arch qualifiers") {
  CHECK(first_alternatives("a (>= 1) | b, c:any, d [amd64],  e") ==
        std::vector<std::string>{"a", "c", "d", "e"});
  CHECK(first_alternatives("").empty());
}

TEST_CASE("the old layout resolves to linux-image-<abi> with boot/ paths") {
  auto r = resolve_kernel(parse_packages(kOldLayout), "linux-image-amd64");
  REQUIRE_MESSAGE(r.ok(), why(r));
  CHECK(r->abi == "6.1.0-50-amd64");
  CHECK(r->layout == "boot");
  CHECK(r->version == "6.1.176-1");
  CHECK(r->image.package == "linux-image-6.1.0-50-amd64");
  CHECK(r->image.path_in_deb == "boot/vmlinuz-6.1.0-50-amd64");
  CHECK(r->config.package == "linux-image-6.1.0-50-amd64");
  CHECK(r->config.path_in_deb == "boot/config-6.1.0-50-amd64");

  auto direct = resolve_kernel(parse_packages(kOldLayout), "linux-image-6.1.0-50-amd64-unsigned");
  REQUIRE(direct.ok());
  CHECK(direct->abi == "6.1.0-50-amd64");
}

TEST_CASE("the new layout resolves to linux-binary-<abi> and linux-base-<abi>") {
  auto r = resolve_kernel(parse_packages(kNewLayout), "linux-image-amd64");
  REQUIRE_MESSAGE(r.ok(), why(r));
  CHECK(r->abi == "7.2.13+deb14-amd64");
  CHECK(r->layout == "modules");
  CHECK(r->image.package == "linux-binary-7.2.13+deb14-amd64");
  CHECK(r->image.path_in_deb == "usr/lib/modules/7.2.13+deb14-amd64/vmlinuz");
  CHECK(r->image.size == 14252084);
  CHECK(r->config.package == "linux-base-7.2.13+deb14-amd64");
  CHECK(r->config.path_in_deb == "usr/lib/modules/7.2.13+deb14-amd64/config");
}

TEST_CASE("resolution failures say what is missing") {
  auto idx = parse_packages(kNewLayout);
  auto none = resolve_kernel(idx, "linux-image-arm64");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message.find("no package linux-image-arm64") != std::string::npos);

  auto meta_only = resolve_kernel(idx, "linux-base-amd64");
  REQUIRE_FALSE(meta_only.ok());
  CHECK(meta_only.error().message.find("does not lead to a kernel image") != std::string::npos);

  idx.erase("linux-base-7.2.13+deb14-amd64");
  auto no_base = resolve_kernel(idx, "linux-image-amd64");
  REQUIRE_FALSE(no_base.ok());
  CHECK(no_base.error().message.find("linux-base-7.2.13+deb14-amd64") != std::string::npos);

  // A dependency cycle terminates.
  auto cyc = parse_packages(stanza("linux-image-a", "1", "linux-image-b", 10) +
                            stanza("linux-image-b", "1", "linux-image-a", 10));
  CHECK_FALSE(resolve_kernel(cyc, "linux-image-a").ok());
}

TEST_CASE("only first alternatives with kernel package names are followed") {
  // Following "helper" or the second alternative would reach the wrong
  // kernel first (breadth-first, it sits one level higher).
  auto idx = parse_packages(
      stanza("linux-image-amd64", "1", "helper, dracut | linux-image-9.9.9-wrong, linux-image-meta2", 1000) +
      stanza("helper", "1", "linux-image-9.9.9-wrong", 1000) +
      stanza("dracut", "1", "linux-image-9.9.9-wrong", 1000) +
      stanza("linux-image-meta2", "1", "linux-image-6.1.0-50-amd64", 1000) +
      stanza("linux-image-9.9.9-wrong", "1", "", 50000000) +
      stanza("linux-image-6.1.0-50-amd64", "1", "", 50000000));
  auto r = resolve_kernel(idx, "linux-image-amd64");
  REQUIRE_MESSAGE(r.ok(), why(r));
  CHECK(r->abi == "6.1.0-50-amd64");
}
