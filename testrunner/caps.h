// What the guest kernel can do, found by trying (bpftrace-style), and the
// plan's requirements checked against it.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/plan.h"

namespace kgrid::testrunner {

struct Caps {
  std::string release;  // uname -r
  std::string arch;     // uname -m
  bool btf = false;     // /sys/kernel/btf/vmlinux readable
  bool ringbuf = false; // BPF_MAP_TYPE_RINGBUF map created
  bool tracefs = false; // /sys/kernel/tracing/events/raw_syscalls exists
  // Why a feature is missing, for skip reasons ("Invalid argument").
  std::string btf_error, ringbuf_error, tracefs_error;

  // The CAPS record's fields.
  std::map<std::string, std::string> fields() const;
};

inline constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";
inline constexpr const char* kRawSyscallsPath = "/sys/kernel/tracing/events/raw_syscalls";

// Tries each feature on the running kernel.
Caps probe_caps();

// nullopt if the test can run here, else the SKIP reason.
std::optional<std::string> unmet_requirement(const plan::Test& test, const Caps& caps);

}  // namespace kgrid::testrunner
