#include "kernels/image/config.h"

#include <doctest/doctest.h>

#include "kernels/testing.h"

using namespace kgrid::kernels;
using namespace kgrid::kernels::testing;

TEST_CASE("a .config parses into values") {
  auto cfg = KernelConfig::parse(
      "#\n# Automatically generated file; DO NOT EDIT.\n#\n"
      "CONFIG_BPF=y\r\n"
      "CONFIG_BPF_SYSCALL=y\n"
      "CONFIG_KPROBES=m\n"
      "# CONFIG_DEBUG_INFO_BTF is not set\n"
      "\n"
      "CONFIG_HZ=250\n"
      "CONFIG_LOCALVERSION=\"-kgrid \\\"x\\\"\"\n"
      "CONFIG_EMPTY=\"\"\n");
  REQUIRE_MESSAGE(cfg.ok(), why(cfg));
  CHECK(cfg->is_set("CONFIG_BPF"));
  CHECK(cfg->is_set("CONFIG_KPROBES"));
  CHECK(cfg->is_builtin("CONFIG_BPF"));
  CHECK_FALSE(cfg->is_builtin("CONFIG_KPROBES"));
  CHECK_FALSE(cfg->is_set("CONFIG_DEBUG_INFO_BTF"));
  CHECK_FALSE(cfg->is_set("CONFIG_HZ"));
  CHECK(cfg->value("CONFIG_HZ") == "250");
  CHECK(cfg->value("CONFIG_LOCALVERSION") == "-kgrid \"x\"");
  CHECK(cfg->value("CONFIG_EMPTY") == "");
  CHECK_FALSE(cfg->value("CONFIG_NOPE").has_value());
  CHECK(cfg->values().size() == 6);
}

TEST_CASE("bad .config lines are errors with the line number") {
  auto r = KernelConfig::parse("CONFIG_A=y\nthis is not a config\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("line 2") != std::string::npos);
  CHECK_FALSE(KernelConfig::parse("CONFIG_A=\"open\n").ok());
  CHECK_FALSE(KernelConfig::parse("FOO=y\n").ok());
}

TEST_CASE("the config of an image is found beside it") {
  ScratchDir d;
  write_file(d.path() / "vmlinuz-6.1.0-9-amd64", "x");
  CHECK_FALSE(find_config(d.path() / "vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64").ok());
  write_file(d.path() / "vmlinuz-6.1.0-9-amd64.config", "CONFIG_A=y\n");
  CHECK(*find_config(d.path() / "vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64") ==
        d.path() / "vmlinuz-6.1.0-9-amd64.config");
  write_file(d.path() / "config", "CONFIG_A=y\n");
  CHECK(*find_config(d.path() / "vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64") == d.path() / "config");
  write_file(d.path() / "config-6.1.0-9-amd64", "CONFIG_A=y\n");
  auto c = find_config(d.path() / "vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64");
  CHECK(*c == d.path() / "config-6.1.0-9-amd64");
  CHECK(KernelConfig::load(*c)->is_set("CONFIG_A"));
  CHECK(*find_config(d.path() / "vmlinuz-6.1.0-9-amd64", "") == d.path() / "config");
}
