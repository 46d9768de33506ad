// What a kernel's config predicts before it boots: whether kgrid's harness
// can run at all (else the verdict is BOOT_FAIL, and the kernel need not be
// booted), and which probe features are missing (tests that will SKIP).
//
// Harness, BOOT_FAIL when missing (built in, "=y"):
//   CONFIG_BLK_DEV_INITRD       the initramfs that carries kgrid's init
//   CONFIG_BINFMT_ELF           kgrid's init is a static ELF binary
//   console on the first serial port: CONFIG_SERIAL_8250 + _CONSOLE (x86),
//   CONFIG_SERIAL_AMBA_PL011 + _CONSOLE (arm64); without it kgrid hears nothing
// Harness, a warning only (the boot still works):
//   CONFIG_DEVTMPFS             init mounts it on /dev; the initramfs has /dev/console and /dev/null
//   CONFIG_RD_ZSTD/CONFIG_RD_GZIP  without both the initramfs goes uncompressed (bigger, still boots)
// Probes, SKIP when missing:
//   CONFIG_BPF_SYSCALL, CONFIG_BPF_EVENTS, CONFIG_FTRACE_SYSCALLS (eBPF drivers),
//   CONFIG_DEBUG_INFO_BTF (CO-RE drivers), CONFIG_MODULES (module drivers)
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernels/image/config.h"
#include "kernels/image/image.h"

namespace kgrid::kernels {

struct ConfigCheck {
  std::string option;  // "CONFIG_BLK_DEV_INITRD"
  std::string value;   // "y", "m", or "not set"
  bool ok = false;
  enum class Role { Boot, Warn, Probe } role = Role::Boot;
  std::string why;     // what goes wrong without it
};

struct Preflight {
  bool config_known = false;
  std::string boot_fail_reason;            // empty: nothing predicts a failed boot
  std::vector<std::string> skip_reasons;   // one per missing probe feature
  std::vector<std::string> warnings;       // harness degraded, boot still expected to work
  std::vector<ConfigCheck> checks;         // every check made, for `kernels inspect`
};

// `config` may be null (unknown): nothing is predicted then.
Preflight preflight(const KernelImage& image, const KernelConfig* config);

// Reads the image and the config (when given) and predicts. An unreadable
// image is an error; an unreadable config is a warning.
Result<Preflight> preflight(const std::filesystem::path& image, const std::optional<std::filesystem::path>& config);

}  // namespace kgrid::kernels
