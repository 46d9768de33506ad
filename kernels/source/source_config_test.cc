#include "kernels/source/source_config.h"

#include <doctest/doctest.h>

#include "kernels/image/image.h"
#include "kernels/image/preflight.h"

using namespace kgrid::kernels;

TEST_CASE("parse_fragment: assignments, 'is not set' lines, comments") {
  auto f = parse_fragment("# a comment\nCONFIG_A=y\n\n# CONFIG_B is not set\nCONFIG_C=\"str\"\nCONFIG_D=0x10\n");
  REQUIRE(f.ok());
  REQUIRE(f->size() == 4);
  CHECK((*f)[0].name == "CONFIG_A");
  CHECK((*f)[0].value == "y");
  CHECK((*f)[1].name == "CONFIG_B");
  CHECK((*f)[1].value == "n");
  CHECK((*f)[2].value == "str");
  CHECK((*f)[3].value == "0x10");
}

TEST_CASE("parse_fragment: a line that is not an option names its line") {
  auto f = parse_fragment("CONFIG_A=y\nBPF=y\n");
  REQUIRE(!f.ok());
  CHECK(f.error().message.find("line 2") != std::string::npos);
  CHECK(!parse_fragment("CONFIG_A\n").ok());
  CHECK(!parse_fragment("CONFIG_=y\n").ok());
}

TEST_CASE("dropped_options: what kconfig did not keep is named, with why") {
  auto f = parse_fragment("CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_D=\"x\"\nCONFIG_E=m\n");
  REQUIRE(f.ok());
  auto cfg = KernelConfig::parse("CONFIG_A=y\nCONFIG_C=y\nCONFIG_D=\"x\"\nCONFIG_E=y\n");
  REQUIRE(cfg.ok());
  auto d = dropped_options(*f, *cfg);
  REQUIRE(d.size() == 3);
  CHECK(d[0] == "CONFIG_B=y was dropped (now: not set); its dependencies are not met");
  CHECK(d[1] == "CONFIG_C is still set (now: y); another option selects it");
  CHECK(d[2] == "CONFIG_E=m was dropped (now: y); its dependencies are not met");
  auto all = KernelConfig::parse("CONFIG_A=y\nCONFIG_B=y\nCONFIG_D=\"x\"\nCONFIG_E=m\n");
  REQUIRE(all.ok());
  CHECK(dropped_options(*f, *all).empty());
}

TEST_CASE("the minimal fragment holds everything kgrid's preflight checks for") {
  auto f = parse_fragment(minimal_config_fragment());
  REQUIRE(f.ok());
  std::string text;
  for (const auto& o : *f) text += o.name + "=" + o.value + "\n";
  auto cfg = KernelConfig::parse(text);
  REQUIRE(cfg.ok());
  KernelImage img;
  img.arch = "x86_64";
  img.release = "6.1.0-kgrid";
  Preflight p = preflight(img, &*cfg);
  CHECK(p.boot_fail_reason == "");
  CHECK(p.skip_reasons.empty());
  CHECK(p.warnings.empty());
  CHECK(cfg->is_builtin("CONFIG_PVH"));  // kgrid's fast boot
  CHECK(cfg->is_builtin("CONFIG_RD_ZSTD"));
}
