#include "vm/qemu.h"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <random>

namespace kgrid::host {
namespace {

const ArchSpec kArchs[] = {
    // -cpu max under TCG gives every feature TCG can emulate; under KVM,
    // host passes the real CPU through.
    // cx16=off: under TCG (QEMU 7.2, Debian 12) a `cmpxchg16b %gs:(%rsi)` in
    // SLUB's fast path now and then leaves garbage in EFLAGS (TF set, so a
    // #DB storm, then a double fault). Debian's 6.12 cloud kernels PANICked
    // in 26 of 122 boots with cx16 and in none of 50 without it
    // (docs/performance.md, "TCG and cmpxchg16b"). Without CX16 the kernel
    // takes its cmpxchg16b-free paths; x86-64 kernels do not require it.
    {"x86_64", "qemu-system-x86_64", "pc", "max,cx16=off", "host", "ttyS0"},
    {"arm64", "qemu-system-aarch64", "virt", "max", "host", "ttyAMA0"},
};

}  // namespace

const ArchSpec* find_arch_by_qemu(const std::string& qemu_binary) {
  std::string base = qemu_binary.substr(qemu_binary.find_last_of('/') + 1);
  for (const auto& spec : kArchs)
    if (spec.qemu_binary == base) return &spec;
  return nullptr;
}

const ArchSpec* find_arch(const std::string& arch) {
  std::string a = arch == "aarch64" ? "arm64" : arch == "amd64" ? "x86_64" : arch;
  for (const auto& spec : kArchs)
    if (spec.arch == a) return &spec;
  return nullptr;
}

std::string kernel_cmdline(const QemuOptions& o, const ArchSpec& spec) {
  // panic=-1: reboot at once on panic, which ends QEMU (-no-reboot).
  // oops stays non-fatal so the guest can still report; the host sees it.
  // no_timer_check: under a loaded TCG host the IO-APIC timer check can fail
  // spuriously ("IO-APIC + timer doesn't work") and panic a healthy kernel.
  std::string cmdline = "console=" + spec.console + " panic=-1 rdinit=/init no_timer_check";
  cmdline += " kgrid.nonce=" + o.nonce;
  if (o.quiet) cmdline += " quiet";
  if (o.gdb_port > 0) cmdline += " nokaslr";
  if (!o.append.empty()) cmdline += " " + o.append;
  return cmdline;
}

std::vector<std::string> qemu_argv(const QemuOptions& o, const ArchSpec& spec) {
  std::vector<std::string> argv = {
      spec.qemu_binary,
      "-machine", spec.machine,
      "-accel", o.kvm ? "kvm" : "tcg",
      "-cpu", !o.cpu.empty() ? o.cpu : o.kvm ? spec.cpu_kvm : spec.cpu_tcg,
      "-m", std::to_string(o.memory_mb),
      "-smp", std::to_string(o.smp),
      "-nodefaults", "-no-user-config",
      "-display", "none",
      "-chardev", "stdio,id=con0,signal=off",
      "-serial", "chardev:con0",
      "-no-reboot",
      "-kernel", o.kernel,
      "-initrd", o.initrd,
      "-append", kernel_cmdline(o, spec),
  };
  if (o.gdb_port > 0) {
    argv.insert(argv.end(), {"-gdb", "tcp:127.0.0.1:" + std::to_string(o.gdb_port), "-S"});
  }
  return argv;
}

size_t choose_jobs(size_t requested, size_t cores, int memory_mb, std::optional<uint64_t> available_kib,
                   std::string& note) {
  note.clear();
  size_t jobs = requested ? requested : std::max<size_t>(cores, 1);
  if (!available_kib || memory_mb <= 0) return jobs;
  const uint64_t per_vm_kib = (static_cast<uint64_t>(memory_mb) + 64) * 1024;
  const uint64_t host_kib = 512 * 1024;
  const uint64_t usable = *available_kib > host_kib ? *available_kib - host_kib : 0;
  const size_t fit = std::max<size_t>(1, static_cast<size_t>(usable / per_vm_kib));
  if (jobs <= fit) return jobs;
  if (requested) {
    note = "warning: " + std::to_string(jobs) + " VMs of " + std::to_string(memory_mb) + " MiB may need " +
           std::to_string(jobs * per_vm_kib / 1024) + " MiB; " + std::to_string(*available_kib / 1024) +
           " MiB are available";
    return jobs;
  }
  note = "running " + std::to_string(fit) + " VM(s) at a time, not " + std::to_string(jobs) + ": " +
         std::to_string(*available_kib / 1024) + " MiB available, " + std::to_string(per_vm_kib / 1024) +
         " MiB per VM (--memory plus QEMU's own)";
  return fit;
}

std::optional<uint64_t> mem_available_kib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return value;
  }
  return std::nullopt;
}

std::string make_nonce() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  return fmt::format("{:016x}", dist(rd));
}

}  // namespace kgrid::host
