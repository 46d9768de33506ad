// What the guest kernel can do, found by trying (bpftrace-style), and the
// plan's requirements checked against it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/plan.h"
#include "testrunner/kconfig.h"

namespace kgrid::testrunner {

struct Caps {
  std::string release;  // uname -r
  std::string arch;     // uname -m
  bool btf = false;     // /sys/kernel/btf/vmlinux readable
  bool ringbuf = false; // BPF_MAP_TYPE_RINGBUF map created
  bool tracefs = false; // /sys/kernel/tracing/events/raw_syscalls exists
  // Why a feature is missing, for skip reasons ("Invalid argument").
  std::string btf_error, ringbuf_error, tracefs_error;
  // The kernel's config from /proc/config.gz, when loaded and present.
  std::optional<KernelConfigValues> config;
  std::string config_error;

  // The CAPS record's fields.
  std::map<std::string, std::string> fields() const;
};

inline constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";
inline constexpr const char* kRawSyscallsPath = "/sys/kernel/tracing/events/raw_syscalls";

// Tries each feature on the running kernel.
Caps probe_caps();
// Loads /proc/config.gz into caps.config (or says why not in config_error).
void load_config(Caps& caps);

// nullopt if the test can run here, else the SKIP reason. In order: the
// host's own skip, arch, min_kernel/max_kernel, features, CONFIG options.
std::optional<std::string> unmet_requirement(const plan::Test& test, const Caps& caps);

// Requirements that could not be checked at all (CONFIG options with no
// config anywhere): the test runs, with these warnings.
std::vector<std::string> requirement_warnings(const plan::Test& test, const Caps& caps);

}  // namespace kgrid::testrunner
