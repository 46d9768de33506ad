#include "vm/qemu.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kgrid::host;
using kgrid::shell_quote;

TEST_CASE("the x86_64 command line has no network, no sharing and the nonce") {
  QemuOptions o;
  o.kernel = "/k/vmlinuz";
  o.initrd = "/k/initrd";
  o.nonce = "abc";
  const ArchSpec* spec = find_arch("amd64");
  REQUIRE(spec);
  auto argv = qemu_argv(o, *spec);
  CHECK(argv[0] == "qemu-system-x86_64");
  CHECK(std::find(argv.begin(), argv.end(), "-nodefaults") != argv.end());
  CHECK(std::find(argv.begin(), argv.end(), "-no-reboot") != argv.end());
  for (const auto& a : argv) {
    CHECK(a.find("-netdev") == std::string::npos);
    CHECK(a.find("virtfs") == std::string::npos);
    CHECK(a.find("9p") == std::string::npos);
  }
  auto append = std::find(argv.begin(), argv.end(), "-append");
  REQUIRE(append != argv.end());
  CHECK((append + 1)->find("kgrid.nonce=abc") != std::string::npos);
  CHECK((append + 1)->find("panic=-1") != std::string::npos);
  CHECK(std::find(argv.begin(), argv.end(), "tcg") != argv.end());
  // TCG's cmpxchg16b can corrupt EFLAGS: x86 guests run without CX16.
  auto cpu = std::find(argv.begin(), argv.end(), "-cpu");
  REQUIRE(cpu != argv.end());
  CHECK(*(cpu + 1) == "max,cx16=off");
  o.kvm = true;
  auto kvm = qemu_argv(o, *spec);
  CHECK(std::find(kvm.begin(), kvm.end(), "kvm") != kvm.end());
  CHECK(*(std::find(kvm.begin(), kvm.end(), "-cpu") + 1) == "host");
  CHECK(find_arch_by_qemu("/usr/bin/qemu-system-aarch64") == find_arch("arm64"));
  CHECK(find_arch_by_qemu("qemu-system-mips") == nullptr);
  o.cpu = "Skylake-Server";  // --cpu wins under either accelerator
  auto chosen = qemu_argv(o, *spec);
  CHECK(*(std::find(chosen.begin(), chosen.end(), "-cpu") + 1) == "Skylake-Server");
  CHECK(find_arch("sparc") == nullptr);
}

TEST_CASE("parallel VMs: one per core, as many as fit in memory") {
  std::string note;
  const uint64_t gib = 1024 * 1024;  // KiB
  CHECK(choose_jobs(0, 8, 512, 24 * gib, note) == 8);
  CHECK(note.empty());
  CHECK(choose_jobs(0, 0, 512, std::nullopt, note) == 1);
  // 2 GiB available: 512 MiB for the host, 576 MiB per VM -> 2 VMs.
  CHECK(choose_jobs(0, 8, 512, 2 * gib, note) == 2);
  CHECK(note.find("running 2 VM(s) at a time, not 8") != std::string::npos);
  CHECK(choose_jobs(0, 8, 512, 100 * 1024, note) == 1);  // never 0
  // What the user asked for is kept, with a warning.
  CHECK(choose_jobs(6, 8, 512, 2 * gib, note) == 6);
  CHECK(note.find("warning: 6 VMs of 512 MiB") != std::string::npos);
  CHECK(choose_jobs(6, 8, 512, std::nullopt, note) == 6);
  CHECK(note.empty());
  auto avail = mem_available_kib();
  REQUIRE(avail);  // Linux
  CHECK(*avail > 0);
}

TEST_CASE("shell quoting reproduces arguments") {
  CHECK(shell_quote({"qemu", "-append", "console=ttyS0 quiet", "it's"}) ==
        "qemu -append 'console=ttyS0 quiet' 'it'\\''s'");
}
