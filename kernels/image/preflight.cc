#include "kernels/image/preflight.h"

namespace kgrid::kernels {
namespace {

using Role = ConfigCheck::Role;

struct Rule {
  const char* option;
  Role role;
  const char* why;
  bool builtin;  // "y" needed; otherwise "y" or "m"
};

std::vector<Rule> rules_for(const std::string& arch) {
  std::vector<Rule> rules = {
      {"CONFIG_BLK_DEV_INITRD", Role::Boot, "the kernel cannot load kgrid's initramfs", true},
      {"CONFIG_BINFMT_ELF", Role::Boot, "the kernel cannot run kgrid's init (a static ELF binary)", true},
  };
  if (arch == "arm64") {
    rules.push_back({"CONFIG_SERIAL_AMBA_PL011", Role::Boot, "no PL011 serial driver: kgrid would hear nothing on ttyAMA0", true});
    rules.push_back({"CONFIG_SERIAL_AMBA_PL011_CONSOLE", Role::Boot, "no console on ttyAMA0: kgrid would hear nothing", true});
  } else {
    rules.push_back({"CONFIG_SERIAL_8250", Role::Boot, "no 8250 serial driver: kgrid would hear nothing on ttyS0", true});
    rules.push_back({"CONFIG_SERIAL_8250_CONSOLE", Role::Boot, "no console on ttyS0: kgrid would hear nothing", true});
  }
  rules.push_back({"CONFIG_DEVTMPFS", Role::Warn, "init cannot mount devtmpfs on /dev (the initramfs's own /dev/console and /dev/null remain)", true});
  rules.push_back({"CONFIG_BPF_SYSCALL", Role::Probe, "no bpf() system call: eBPF drivers SKIP", true});
  rules.push_back({"CONFIG_BPF_EVENTS", Role::Probe, "BPF programs cannot attach to tracepoints or kprobes: eBPF drivers SKIP", true});
  rules.push_back({"CONFIG_FTRACE_SYSCALLS", Role::Probe, "no syscall tracepoints (raw_syscalls/sys_enter): syscall drivers SKIP", true});
  rules.push_back({"CONFIG_DEBUG_INFO_BTF", Role::Probe, "no kernel BTF (/sys/kernel/btf/vmlinux): CO-RE drivers SKIP", true});
  rules.push_back({"CONFIG_MODULES", Role::Probe, "no loadable modules: kernel-module drivers SKIP", true});
  return rules;
}

}  // namespace

Preflight preflight(const KernelImage& image, const KernelConfig* config) {
  Preflight p;
  if (!config) {
    p.warnings.push_back("no config for " + image.release + ": nothing predicted, the boot will tell");
    return p;
  }
  p.config_known = true;
  for (const Rule& r : rules_for(image.arch)) {
    ConfigCheck c;
    c.option = r.option;
    c.role = r.role;
    c.why = r.why;
    auto v = config->value(r.option);
    c.value = v ? *v : "not set";
    c.ok = r.builtin ? config->is_builtin(r.option) : config->is_set(r.option);
    if (!c.ok) {
      const std::string reason = std::string(r.option) + "=" + c.value + ": " + r.why;
      if (r.role == Role::Boot && p.boot_fail_reason.empty()) p.boot_fail_reason = "predicted: " + reason;
      if (r.role == Role::Warn) p.warnings.push_back(reason);
      if (r.role == Role::Probe) p.skip_reasons.push_back(reason);
    }
    p.checks.push_back(std::move(c));
  }
  // The initramfs compression: packer/ picks zstd or gzip, else none.
  ConfigCheck rd;
  rd.option = "CONFIG_RD_ZSTD/CONFIG_RD_GZIP";
  rd.role = Role::Warn;
  rd.why = "no decompressor kgrid can write: the initramfs goes uncompressed (bigger, still boots)";
  const bool zstd = config->is_builtin("CONFIG_RD_ZSTD"), gzip = config->is_builtin("CONFIG_RD_GZIP");
  rd.value = zstd ? "zstd" : gzip ? "gzip" : "neither";
  rd.ok = zstd || gzip;
  if (!rd.ok) p.warnings.push_back(rd.option + "=" + rd.value + ": " + rd.why);
  p.checks.push_back(std::move(rd));
  return p;
}

Result<Preflight> preflight(const std::filesystem::path& image, const std::optional<std::filesystem::path>& config) {
  auto img = inspect_image(image);
  if (!img) return img.error();
  if (!config) return preflight(*img, nullptr);
  auto cfg = KernelConfig::load(*config);
  if (!cfg) {
    Preflight p = preflight(*img, nullptr);
    p.warnings.push_back("cannot read the config: " + cfg.error().message);
    return p;
  }
  return preflight(*img, &*cfg);
}

}  // namespace kgrid::kernels
