#include "kernels/debian/catalog.h"

#include <doctest/doctest.h>

#include "kernels/debian/debian.h"
#include "kernels/image/image.h"
#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

TEST_CASE("ABIs split into series and flavor") {
  struct Case {
    const char *abi, *arch, *series, *flavor;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"6.1.0-50-amd64", "amd64", "6.1", "generic"},
           {"6.1.0-50-cloud-amd64", "amd64", "6.1", "cloud"},
           {"5.10.0-32-rt-amd64", "amd64", "5.10", "rt"},
           {"6.12.117+deb13-amd64", "amd64", "6.12", "generic"},
           {"6.12.90+deb12.1-rt-amd64", "amd64", "6.12", "rt"},
           {"7.2.13+deb14-arm64-16k", "arm64", "7.2", "16k"},
           {"7.3-amd64", "amd64", "7.3", "generic"},
       }) {
    CAPTURE(c.abi);
    auto p = parse_abi(c.abi, c.arch);
    REQUIRE(p);
    CHECK(p->series == c.series);
    CHECK(p->flavor == c.flavor);
  }
  for (const char* bad : {"amd64", "cloud-amd64", "6.1.0-50-amd64-dbg", "6.1.0-50-amd64-unsigned", "6.1.0-50-arm64",
                          "6-amd64", "x.1-amd64"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_abi(bad, "amd64"));
  }
}

TEST_CASE("kernel ids name suite, ABI and arch") {
  auto k = parse_kernel_id("debian-bookworm-backports-6.12.43+deb12-cloud-amd64");
  REQUIRE(k.ok());
  CHECK(k->suite == "bookworm-backports");
  CHECK(k->abi == "6.12.43+deb12-cloud-amd64");
  CHECK(k->arch == "amd64");
  CHECK(parse_kernel_id("debian-sid-7.2.13+deb14-arm64-16k")->arch == "arm64");
  CHECK_FALSE(parse_kernel_id("local-6.1.0").ok());
  CHECK_FALSE(parse_kernel_id("debian-bookworm").ok());
  CHECK_FALSE(parse_kernel_id("debian-6.1.0-50-amd64").ok());
}

TEST_CASE("queries parse and print back") {
  auto q = parse_query("debian:trixie?series=6.12&flavor=*&newest=2&arch=amd64");
  REQUIRE(q.ok());
  CHECK(q->suites == std::vector<std::string>{"trixie"});
  CHECK(q->flavors.empty());
  CHECK(q->series == std::vector<std::string>{"6.12"});
  CHECK(q->newest == 2);
  CHECK(q->text() == "debian:trixie?arch=amd64&series=6.12&newest=2");
  CHECK(parse_query(q->text())->text() == q->text());
  auto all = parse_query("debian:*?arch=*");
  REQUIRE(all.ok());
  CHECK(all->all_suites());
  CHECK(all->arch_list() == std::vector<std::string>{"amd64", "arm64"});
  CHECK(all->suite_list() == default_suites());
  CHECK(parse_query("debian:bookworm,trixie")->suites.size() == 2);
  CHECK(is_query("debian:trixie"));
  CHECK(is_query("debian:trixie?newest=1"));
  CHECK_FALSE(is_query("debian:trixie/linux-image-amd64"));
  for (const char* bad : {"debian:?arch=amd64", "debian:trixie?newest=x", "debian:trixie?colour=red",
                          "debian:trixie?arch", "debian:Trixie", "debian:trixie?series=6.1;rm"}) {
    CAPTURE(bad);
    auto r = parse_query(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(bad) != std::string::npos);
  }
}

namespace {

// An index with two ABIs x three flavors of 6.1 (signed + unsigned + dbg),
// and one new-layout 7.2 ABI.
PackageIndex sample_index() {
  std::string text;
  auto add = [&](const std::string& name, const std::string& version, uint64_t size, const std::string& depends = "") {
    text += "Package: " + name + "\nVersion: " + version + "\nFilename: pool/" + name + ".deb\nSize: " +
            std::to_string(size) + "\nSHA256: " + std::string(64, 'a') + "\n";
    if (!depends.empty()) text += "Depends: " + depends + "\n";
    text += "\n";
  };
  for (auto [abi, version] : {std::pair{"47", "6.1.170-3"}, {"50", "6.1.176-1"}}) {
    for (std::string flavor : {"", "cloud-", "rt-"}) {
      const std::string base = std::string("linux-image-6.1.0-") + abi + "-" + flavor + "amd64";
      add(base, version, 70000000);
      add(base + "-unsigned", version, 70000001);
      add(base + "-dbg", version, 800000000);
    }
  }
  add("linux-image-6.1.0-99-amd64-unsigned", "6.1.999-1", 60000000);  // no signed twin
  add("linux-image-amd64", "6.1.176-1", 1400, "linux-image-6.1.0-50-amd64");
  add("linux-image-7.2.13+deb14-amd64", "7.2.13-1", 1892, "linux-binary-7.2.13+deb14-amd64");
  add("linux-binary-7.2.13+deb14-amd64", "7.2.13-1", 14000000, "linux-base-7.2.13+deb14-amd64");
  add("linux-base-7.2.13+deb14-amd64", "7.2.13-1", 900000);
  return parse_packages(text);
}

}  // namespace

TEST_CASE("the catalog has one entry per ABI, and selectors pick from it") {
  auto entries = catalog_from_index(sample_index(), "bookworm", "amd64");
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  CHECK(ids == std::vector<std::string>{
                   "debian-bookworm-6.1.0-99-amd64",
                   "debian-bookworm-6.1.0-50-amd64", "debian-bookworm-6.1.0-47-amd64",
                   "debian-bookworm-6.1.0-50-cloud-amd64", "debian-bookworm-6.1.0-47-cloud-amd64",
                   "debian-bookworm-6.1.0-50-rt-amd64", "debian-bookworm-6.1.0-47-rt-amd64",
                   "debian-bookworm-7.2.13+deb14-amd64"});
  const CatalogEntry& unsigned_only = entries[0];
  CHECK(unsigned_only.package == "linux-image-6.1.0-99-amd64-unsigned");
  CHECK(unsigned_only.size == 60000000);
  CHECK(entries[1].package == "linux-image-6.1.0-50-amd64");  // signed preferred
  CHECK(entries[1].selector() == "debian:bookworm/linux-image-6.1.0-50-amd64");
  const CatalogEntry& new_layout = entries.back();
  CHECK(new_layout.resolution.layout == "modules");
  CHECK(new_layout.size == 14000000 + 900000);  // binary + base (for the config)
  CHECK(new_layout.series == "7.2");

  KernelQuery q;
  q.suites = {"bookworm"};
  q.series = {"6.1"};
  q.newest = 1;
  auto newest = filter_catalog(entries, q);
  REQUIRE(newest.size() == 3);  // generic (6.1.999 is newest), cloud, rt
  CHECK(newest[0].abi == "6.1.0-99-amd64");
  CHECK(newest[1].abi == "6.1.0-50-cloud-amd64");
  q.flavors = {"rt"};
  q.newest = 0;
  CHECK(filter_catalog(entries, q).size() == 2);
  q.suites = {"trixie"};
  CHECK(filter_catalog(entries, q).empty());
  q = KernelQuery{};
  q.suites = {"bookworm"};
  q.arches = {"arm64"};
  CHECK(filter_catalog(entries, q).empty());
}

TEST_CASE("the catalog loads from a verified mirror; missing default suites are warnings") {
  FakeMirror m;
  const std::string abi = "6.1.0-99-amd64";
  m.add("linux-image-" + abi, "6.1.999-1", "", "", 2000000);
  m.add("linux-image-" + abi + "-dbg", "6.1.999-1", "", "", 900000000);
  m.publish("bookworm");
  ScratchDir cache;
  std::vector<std::string> warnings;
  KernelQuery all;
  auto entries = load_catalog(all, options_for(m, cache.path()), &warnings);
  REQUIRE_MESSAGE(entries.ok(), why(entries));
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].id == "debian-bookworm-" + abi);
  CHECK(warnings.size() == default_suites().size() - 1);

  KernelQuery named;
  named.suites = {"bookworm", "trixie"};
  auto missing = load_catalog(named, options_for(m, cache.path()), &warnings);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("trixie") != std::string::npos);

  TestSigner stranger("kgrid stranger");
  FakeMirror evil;
  evil.signer = &stranger;
  evil.add("linux-image-" + abi, "6.1.999-1", "", "", 2000000);
  evil.publish("bookworm");
  ScratchDir cache2;
  FetchOptions o = options_for(evil, cache2.path());
  o.keyring = TestSigner::shared().keyring();
  auto refused = load_catalog(all, o, &warnings);
  REQUIRE_FALSE(refused.ok());  // a failed signature is never "a missing suite"
}

TEST_CASE("real: the archive's catalog" * doctest::skip(!network_allowed())) {
  std::vector<std::string> warnings;
  KernelQuery q;
  auto entries = load_catalog(q, FetchOptions{}, &warnings);
  REQUIRE_MESSAGE(entries.ok(), why(entries));
  std::map<std::string, int> per_suite;
  for (const auto& e : *entries) {
    ++per_suite[e.suite];
    CHECK(e.id == "debian-" + e.suite + "-" + e.abi);
    CHECK(e.size > 1000000);
    CHECK(e.abi.ends_with("-amd64"));
  }
  MESSAGE(entries->size(), " amd64 kernels; bookworm ", per_suite["bookworm"], ", trixie ", per_suite["trixie"]);
  CHECK(entries->size() >= 50);
  CHECK(per_suite["bookworm"] >= 3);
  CHECK(per_suite["trixie"] >= 3);
  CHECK(per_suite["sid"] >= 3);
}
