// The "modern_bpf" driver: the CO-RE object in probes/modern/, embedded
// through its bpftool skeleton, delivering records over a BPF ring buffer.
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>

#include "driver.h"
#include "kgrid_probe.skel.h"
#include "libbpf_util.h"
#include "modern/kgrid_probe.h"

namespace kgrid::probe {
namespace {

class ModernBpf final : public Driver {
 public:
  ~ModernBpf() override {
    ring_buffer__free(rb_);
    kgrid_probe__destroy(skel_);
  }

  bool start(const Options& options, DriverError& error) override {
    route_libbpf_log(options.verbose);
    raise_memlock_limit();

    skel_ = kgrid_probe__open();
    if (!skel_) return fail(error, "open", -errno);
    skel_->rodata->kgrid_self_tgid = static_cast<__u32>(getpid());
    skel_->rodata->kgrid_fault_nocapture = options.fault == Fault::nocapture;
    if (options.fault == Fault::verifier) {
      if (int err = bpf_program__set_autoload(skel_->progs.kgrid_fault_verifier, true))
        return fail(error, "open", err);
    }
    if (int err = kgrid_probe__load(skel_)) return fail(error, "load", err);

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

  Result<uint64_t> drops() const override { return sum_percpu_u64(skel_->maps.drops); }

 private:
  static bool fail(DriverError& error, const char* stage, int err) {
    error = DriverError{stage, libbpf_error_text(err)};
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
};

}  // namespace

std::unique_ptr<Driver> make_modern_bpf_driver() { return std::make_unique<ModernBpf>(); }

}  // namespace kgrid::probe
