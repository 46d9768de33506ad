#include "libbpf_util.h"

#include <bpf/bpf.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <vector>

namespace kgrid::probe {
namespace {

bool g_verbose = false;

int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG && !g_verbose) return 0;
  return vfprintf(stderr, format, args);
}

}  // namespace

void route_libbpf_log(bool verbose) {
  g_verbose = verbose;
  libbpf_set_print(print_libbpf);
}

std::string libbpf_error_text(int err) {
  char buf[256];
  if (libbpf_strerror(err, buf, sizeof buf) != 0) snprintf(buf, sizeof buf, "error %d", err);
  return buf;
}

Result<uint64_t> sum_percpu_u64(const bpf_map* map) {
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return make_error(libbpf_error_text(ncpus < 0 ? ncpus : -EINVAL));
  std::vector<__u64> per_cpu(static_cast<size_t>(ncpus));
  __u32 zero = 0;
  int err = bpf_map__lookup_elem(map, &zero, sizeof zero, per_cpu.data(), per_cpu.size() * sizeof(__u64), 0);
  if (err) return make_error(libbpf_error_text(err));
  uint64_t total = 0;
  for (__u64 n : per_cpu) total += n;
  return total;
}

void raise_memlock_limit() {
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MEMLOCK, &unlimited);
}

}  // namespace kgrid::probe
