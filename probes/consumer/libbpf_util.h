// What the two libbpf-based drivers (modern_bpf, bpf) share: libbpf's log
// routed to stderr, its error text, and the per-CPU drop counter's total.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <string>

#include "common/result.h"

namespace kgrid::probe {

// Sends libbpf's messages (including a failed load's verifier log) to
// stderr; debug chatter only when `verbose`.
void route_libbpf_log(bool verbose);

// libbpf_strerror() of a negative error code.
std::string libbpf_error_text(int err);

// Sums the first (only) slot of a BPF_MAP_TYPE_PERCPU_ARRAY of __u64 over all CPUs.
Result<uint64_t> sum_percpu_u64(const bpf_map* map);

// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK, whose default is
// smaller than the ring buffer. Failure is not fatal: newer kernels do not
// need it, and load reports the real problem.
void raise_memlock_limit();

}  // namespace kgrid::probe
