// Builds the QEMU command line for one kernel from a per-architecture table.
// No network device, no host filesystem sharing: the initramfs is all the
// guest gets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/quote.h"  // shell_quote: the command line, to reproduce a run by hand

namespace kgrid::host {

struct QemuOptions {
  std::string arch = "x86_64";
  std::string kernel;        // image path
  std::string initrd;        // initramfs path
  std::string append;        // extra kernel command line (kgrid adds its own)
  std::string nonce;
  int memory_mb = 512;
  std::string cpu;           // -cpu; empty: the arch's default for TCG or KVM
  int smp = 1;
  bool kvm = false;
  bool quiet = false;        // kernel 'quiet' (less console output, faster under TCG)
  // kgrid shell --gdb: QEMU's gdb stub on 127.0.0.1:gdb_port, the CPU halted
  // until the debugger continues (-S), and the kernel booted with nokaslr so
  // symbol addresses match. 0: no stub.
  int gdb_port = 0;
};

struct ArchSpec {
  std::string arch;
  std::string qemu_binary;
  std::string machine;
  std::string cpu_tcg;
  std::string cpu_kvm;
  std::string console;  // kernel console device
};

// The table; nullptr for an unknown arch.
const ArchSpec* find_arch(const std::string& arch);
// The entry whose QEMU is `qemu_binary` (a name or a path); nullptr if none.
const ArchSpec* find_arch_by_qemu(const std::string& qemu_binary);

// A fresh per-boot nonce for the console protocol: 16 lower-case hex digits.
std::string make_nonce();

// The kernel command line kgrid boots with.
std::string kernel_cmdline(const QemuOptions& options, const ArchSpec& spec);

std::vector<std::string> qemu_argv(const QemuOptions& options, const ArchSpec& spec);

// How many VMs to run at once. `requested` 0 means one per core (`cores`),
// lowered to what fits in `available_kib` of memory (/proc/meminfo's
// MemAvailable; nullopt: unknown), counting each VM as its guest memory
// plus 64 MiB for QEMU and keeping 512 MiB for the host. A -j the user gave
// is kept, with a warning in `note` when it does not fit. At least 1.
size_t choose_jobs(size_t requested, size_t cores, int memory_mb, std::optional<uint64_t> available_kib,
                   std::string& note);

// MemAvailable from /proc/meminfo, in KiB; nullopt if unreadable.
std::optional<uint64_t> mem_available_kib();

}  // namespace kgrid::host
