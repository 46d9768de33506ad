// The "modern_bpf" driver: the CO-RE object in probes/modern/, embedded
// through its bpftool skeleton, delivering records over a BPF ring buffer.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <vector>

#include "driver.h"
#include "kgrid_probe.skel.h"
#include "modern/kgrid_probe.h"

namespace kgrid::probe {
namespace {

bool g_verbose = false;

// libbpf's messages (including the verifier log of a failed load) go to
// stderr as they are; debug chatter only with --verbose.
int print_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG && !g_verbose) return 0;
  return vfprintf(stderr, format, args);
}

std::string error_text(int err) {
  char buf[256];
  if (libbpf_strerror(err, buf, sizeof buf) != 0) snprintf(buf, sizeof buf, "error %d", err);
  return buf;
}

class ModernBpf final : public Driver {
 public:
  ~ModernBpf() override {
    ring_buffer__free(rb_);
    kgrid_probe__destroy(skel_);
  }

  bool start(const Options& options, DriverError& error) override {
    g_verbose = options.verbose;
    libbpf_set_print(print_libbpf);

    // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK, whose default
    // (64 KiB or 8 MiB) is smaller than the ring buffer. Failure is not fatal:
    // newer kernels do not need it, and load reports the real problem.
    struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_MEMLOCK, &unlimited);

    skel_ = kgrid_probe__open();
    if (!skel_) return fail(error, "open", -errno);
    skel_->rodata->kgrid_self_tgid = static_cast<__u32>(getpid());
    skel_->rodata->kgrid_fault_nocapture = options.fault == Fault::nocapture;
    if (options.fault == Fault::verifier) {
      if (int err = bpf_program__set_autoload(skel_->progs.kgrid_fault_verifier, true))
        return fail(error, "open", err);
    }
    if (int err = kgrid_probe__load(skel_)) return fail(error, "load", err);

    ncpus_ = libbpf_num_possible_cpus();
    if (ncpus_ <= 0) return fail(error, "load", ncpus_ < 0 ? ncpus_ : -EINVAL);

    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), on_record, this, nullptr);
    if (!rb_) return fail(error, "ringbuf", -errno);

    if (int err = kgrid_probe__attach(skel_)) return fail(error, "attach", err);
    return true;
  }

  int fd() const override { return ring_buffer__epoll_fd(rb_); }

  int drain(EventSink& sink) override {
    sink_ = &sink;
    int n = ring_buffer__consume(rb_);
    sink_ = nullptr;
    return n < 0 ? n : 0;
  }

  Result<uint64_t> drops() const override {
    std::vector<__u64> per_cpu(static_cast<size_t>(ncpus_));
    __u32 zero = 0;
    int err = bpf_map__lookup_elem(skel_->maps.drops, &zero, sizeof zero, per_cpu.data(),
                                   per_cpu.size() * sizeof(__u64), 0);
    if (err) return make_error(error_text(err));
    uint64_t total = 0;
    for (__u64 n : per_cpu) total += n;
    return total;
  }

 private:
  static bool fail(DriverError& error, const char* stage, int err) {
    error = DriverError{stage, error_text(err)};
    return false;
  }

  static int on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<ModernBpf*>(ctx);
    if (size < sizeof(kgrid_event)) {
      self->sink_->on_bad_record();
      return 0;
    }
    const auto* e = static_cast<const kgrid_event*>(data);
    self->sink_->on_event(e->tgid, e->nr);
    return 0;
  }

  kgrid_probe* skel_ = nullptr;
  ring_buffer* rb_ = nullptr;
  EventSink* sink_ = nullptr;
  int ncpus_ = 0;
};

}  // namespace

std::unique_ptr<Driver> make_modern_bpf_driver() { return std::make_unique<ModernBpf>(); }

}  // namespace kgrid::probe
