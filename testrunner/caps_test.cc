#include "testrunner/caps.h"

#include <doctest/doctest.h>

using namespace kgrid;
using namespace kgrid::testrunner;

namespace {
Caps full() {
  Caps c;
  c.release = "6.1.0-50-amd64";
  c.arch = "x86_64";
  c.btf = c.ringbuf = c.tracefs = true;
  return c;
}
plan::Test needs(std::vector<std::string> req, std::string min_kernel = "") {
  plan::Test t;
  t.requires_ = std::move(req);
  t.min_kernel = std::move(min_kernel);
  return t;
}
}  // namespace

TEST_CASE("a kernel with everything runs every test") {
  CHECK_FALSE(unmet_requirement(needs({"btf", "ringbuf", "tracefs"}, "5.8"), full()));
  CHECK_FALSE(unmet_requirement(needs({}, "6.1"), full()));
}

TEST_CASE("each missing requirement gives its own skip reason") {
  Caps c = full();
  c.release = "5.4.0";
  CHECK(*unmet_requirement(needs({}, "5.8"), c) == "kernel 5.4.0 < min_kernel 5.8");
  c = full();
  c.btf = false;
  c.btf_error = "No such file or directory";
  CHECK(*unmet_requirement(needs({"btf"}), c) ==
        "no BTF at /sys/kernel/btf/vmlinux (No such file or directory)");
  c = full();
  c.ringbuf = false;
  CHECK(unmet_requirement(needs({"ringbuf"}), c)->rfind("no BPF ring buffer", 0) == 0);
  CHECK_FALSE(unmet_requirement(needs({"btf"}), c));  // only what is required counts
  c = full();
  c.tracefs = false;
  CHECK(unmet_requirement(needs({"tracefs"}), c)->find("raw_syscalls") != std::string::npos);
}

TEST_CASE("CAPS fields") {
  auto f = full().fields();
  CHECK(f.at("release") == "6.1.0-50-amd64");
  CHECK(f.at("btf") == "1");
  CHECK(f.at("arch") == "x86_64");
  CHECK(f.size() == 5);
}

TEST_CASE("probing the running kernel does not crash and finds a release") {
  Caps c = probe_caps();
  CHECK_FALSE(c.release.empty());
  CHECK((c.ringbuf || !c.ringbuf_error.empty()));
}

TEST_CASE("host skip, arch and max_kernel") {
  plan::Test t = needs({});
  t.skip = "CONFIG_KPROBES is not set (needs y or m)";
  CHECK(*unmet_requirement(t, full()) == "CONFIG_KPROBES is not set (needs y or m)");
  t = needs({});
  t.arch = {"aarch64", "riscv64"};
  CHECK(*unmet_requirement(t, full()) == "arch x86_64 is not one of: aarch64, riscv64");
  t.arch = {"x86_64"};
  CHECK_FALSE(unmet_requirement(t, full()));
  t = needs({});
  t.max_kernel = "6.1";
  CHECK_FALSE(unmet_requirement(t, full()));  // 6.1.0-50 is a 6.1
  t.max_kernel = "5.15";
  CHECK(*unmet_requirement(t, full()) == "kernel 6.1.0-50-amd64 > max_kernel 5.15");
}

TEST_CASE("CONFIG requirements from /proc/config.gz, or a warning when there is none") {
  plan::Test t = needs({});
  t.config = {"CONFIG_BPF_SYSCALL", "CONFIG_KPROBES=y"};
  Caps c = full();
  CHECK(requirement_warnings(t, c).size() == 1);
  CHECK_FALSE(unmet_requirement(t, c));  // not checkable: runs, with the warning
  c.config = KernelConfigValues{{"CONFIG_BPF_SYSCALL", "y"}, {"CONFIG_KPROBES", "m"}};
  CHECK(requirement_warnings(t, c).empty());
  CHECK(*unmet_requirement(t, c) == "CONFIG_KPROBES=m (needs y) (from /proc/config.gz)");
  t.config = {"CONFIG_BPF_SYSCALL"};
  CHECK_FALSE(unmet_requirement(t, c));
}
