#include "kernels/image/preflight.h"

#include <doctest/doctest.h>

#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

namespace {

const char* kGood =
    "CONFIG_BLK_DEV_INITRD=y\nCONFIG_BINFMT_ELF=y\nCONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\n"
    "CONFIG_DEVTMPFS=y\nCONFIG_RD_ZSTD=y\nCONFIG_RD_GZIP=y\nCONFIG_BPF_SYSCALL=y\nCONFIG_BPF_EVENTS=y\n"
    "CONFIG_FTRACE_SYSCALLS=y\nCONFIG_DEBUG_INFO_BTF=y\nCONFIG_MODULES=y\n";

Preflight check(const std::string& text, const std::string& arch = "x86_64") {
  KernelImage img;
  img.arch = arch;
  img.release = "6.1.0-test";
  auto cfg = KernelConfig::parse(text);
  REQUIRE(cfg.ok());
  return preflight(img, &*cfg);
}

std::string without(std::string text, const std::string& option) {
  size_t at = text.find(option + "=");
  REQUIRE(at != std::string::npos);
  text.erase(at, text.find('\n', at) - at + 1);
  return text;
}

}  // namespace

TEST_CASE("preflight: a complete config predicts nothing") {
  Preflight p = check(kGood);
  CHECK(p.config_known);
  CHECK(p.boot_fail_reason.empty());
  CHECK(p.skip_reasons.empty());
  CHECK(p.warnings.empty());
  CHECK(p.checks.size() == 11);
}

TEST_CASE("preflight: harness needs predict BOOT_FAIL, probe needs SKIP") {
  for (const char* option : {"CONFIG_BLK_DEV_INITRD", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_BINFMT_ELF", "CONFIG_SERIAL_8250"}) {
    CAPTURE(option);
    Preflight p = check(without(kGood, option));
    CHECK(p.boot_fail_reason.find(option) != std::string::npos);
    CHECK(p.boot_fail_reason.find("not set") != std::string::npos);
  }
  // A console driver built as a module cannot carry the boot console.
  std::string modular = without(kGood, "CONFIG_SERIAL_8250") + "CONFIG_SERIAL_8250=m\n";
  CHECK(check(modular).boot_fail_reason.find("CONFIG_SERIAL_8250=m") != std::string::npos);

  Preflight p = check(without(without(kGood, "CONFIG_DEBUG_INFO_BTF"), "CONFIG_MODULES"));
  CHECK(p.boot_fail_reason.empty());
  REQUIRE(p.skip_reasons.size() == 2);
  CHECK(p.skip_reasons[0].find("CONFIG_DEBUG_INFO_BTF") != std::string::npos);
  CHECK(p.skip_reasons[1].find("CONFIG_MODULES") != std::string::npos);
  for (const char* option : {"CONFIG_BPF_SYSCALL", "CONFIG_FTRACE_SYSCALLS", "CONFIG_BPF_EVENTS"}) {
    CAPTURE(option);
    CHECK(check(without(kGood, option)).skip_reasons.size() == 1);
  }
}

TEST_CASE("preflight: degraded harness is a warning; arm64 wants PL011; no config predicts nothing") {
  Preflight p = check(without(without(without(kGood, "CONFIG_DEVTMPFS"), "CONFIG_RD_ZSTD"), "CONFIG_RD_GZIP"));
  CHECK(p.boot_fail_reason.empty());
  CHECK(p.warnings.size() == 2);
  Preflight arm = check(kGood, "arm64");
  CHECK(arm.boot_fail_reason.find("CONFIG_SERIAL_AMBA_PL011") != std::string::npos);
  KernelImage img;
  img.arch = "x86_64";
  Preflight unknown = preflight(img, nullptr);
  CHECK_FALSE(unknown.config_known);
  CHECK(unknown.boot_fail_reason.empty());
}

TEST_CASE("real: Debian's kernels pass preflight" * doctest::skip(!network_allowed())) {
  const auto& k = bookworm_kernel();
  REQUIRE_MESSAGE(k.ok(), why(k));
  auto p = preflight(k->image, k->config);
  REQUIRE_MESSAGE(p.ok(), why(p));
  CHECK(p->config_known);
  CHECK(p->boot_fail_reason.empty());
  CHECK(p->skip_reasons.empty());
}
