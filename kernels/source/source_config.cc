#include "kernels/source/source_config.h"
#include "common/text.h"

namespace kgrid::kernels {

std::string_view minimal_config_fragment() {
  // Applied with KCONFIG_ALLCONFIG on top of allnoconfig: every option not
  // named here is off unless something selects it, so each dependency is
  // spelled out. Options hidden behind EXPERT (futex, epoll, ...) keep
  // their default "y" because EXPERT stays off.
  return R"(# kgrid minimal kernel (x86_64): what kgrid's harness and probes need.
CONFIG_64BIT=y
CONFIG_LOCALVERSION="-kgrid"
CONFIG_SMP=y
CONFIG_PRINTK=y
CONFIG_BUG=y
CONFIG_MULTIUSER=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
# boot: initramfs (kgrid packs zstd, or gzip for older kernels)
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_RD_ZSTD=y
# boot: the serial console kgrid reads
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_MAGIC_SYSRQ=y
# boot: PVH entry (kgrid's fast boot) and ACPI power-off (init's poweroff)
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PARAVIRT=y
CONFIG_PVH=y
CONFIG_PCI=y
CONFIG_ACPI=y
# init: the filesystems it mounts
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_DEVTMPFS=y
CONFIG_TMPFS=y
CONFIG_DEBUG_FS=y
# probes: eBPF with BTF (CO-RE), tracepoints, kprobes, perf events; NET
# because libbpf probes kernel features (global data, ...) with socket-filter
# programs, and without them it never creates a CO-RE probe's .rodata map
CONFIG_NET=y
CONFIG_BPF_SYSCALL=y
CONFIG_BPF_JIT=y
CONFIG_PERF_EVENTS=y
CONFIG_KPROBES=y
CONFIG_FTRACE=y
CONFIG_KPROBE_EVENTS=y
CONFIG_FTRACE_SYSCALLS=y
CONFIG_BPF_EVENTS=y
CONFIG_KALLSYMS=y
CONFIG_DEBUG_KERNEL=y
CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y
CONFIG_DEBUG_INFO_BTF=y
# probes: the reference kernel module (finit_module)
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
)";
}

namespace {

bool valid_name(std::string_view name) {
  if (!name.starts_with("CONFIG_") || name.size() == 7) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (c >= 'a' && c <= 'z'))) return false;
  return true;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return std::string(v.substr(1, v.size() - 2));
  return std::string(v);
}

}  // namespace

Result<std::vector<FragmentOption>> parse_fragment(std::string_view text) {
  std::vector<FragmentOption> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line.front() == '#') {
      constexpr std::string_view kNotSet = " is not set";
      std::string_view body = trim(line.substr(1));
      if (body.starts_with("CONFIG_") && body.ends_with(kNotSet)) {
        std::string_view name = body.substr(0, body.size() - kNotSet.size());
        if (valid_name(name)) out.push_back({std::string(name), "n"});
      }
      continue;
    }
    size_t eq = line.find('=');
    std::string_view name = eq == std::string_view::npos ? line : line.substr(0, eq);
    if (eq == std::string_view::npos || !valid_name(name)) {
      return make_error("line " + std::to_string(line_no) + ": expected CONFIG_NAME=value or "
                        "\"# CONFIG_NAME is not set\", got \"" + std::string(line) + "\"");
    }
    out.push_back({std::string(name), unquote(trim(line.substr(eq + 1)))});
  }
  return out;
}

std::vector<std::string> dropped_options(const std::vector<FragmentOption>& fragment, const KernelConfig& config) {
  std::vector<std::string> out;
  for (const auto& o : fragment) {
    auto now = config.value(o.name);
    const bool want_off = o.value == "n";
    if (want_off ? !now.has_value() || *now == "n" : now.has_value() && *now == o.value) continue;
    if (want_off) {
      out.push_back(o.name + " is still set (now: " + *now + "); another option selects it");
    } else {
      out.push_back(o.name + "=" + o.value + " was dropped (now: " + (now ? *now : std::string("not set")) +
                    "); its dependencies are not met");
    }
  }
  return out;
}

}  // namespace kgrid::kernels
