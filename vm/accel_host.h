// The real inputs of the accelerator decision (vm/accel.h): this host's
// KVM facts, its boot id, the QEMU binary's identity, and the cached probe
// verdict under <cache>/accel/.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "vm/accel.h"

namespace kgrid::host {

// kgrid's name for this machine's architecture (x86_64, arm64, ...).
std::string host_arch();

// Reads /dev/kvm (open, KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CREATE_VCPU),
// /sys/module/kvm_* and /proc/cpuinfo. Takes well under a millisecond.
KvmFacts read_kvm_facts();

// /proc/sys/kernel/random/boot_id; empty if unreadable (then nothing is cached).
std::string host_boot_id();

// "<path> <size> <mtime>" of `qemu_binary` as found in $PATH; empty if not found.
std::string qemu_identity(const std::string& qemu_binary);

// <cache>/accel/<hash of the QEMU identity>.json; empty without a cache dir.
std::filesystem::path accel_cache_file(const AccelCacheKey& key);

std::optional<ProbeVerdict> read_accel_cache(const AccelCacheKey& key);
void write_accel_cache(const AccelCacheKey& key, const ProbeVerdict& verdict);  // best effort

}  // namespace kgrid::host
