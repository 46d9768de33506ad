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
    ring_.close();
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

    if (int err = ring_.open(bpf_map__fd(skel_->maps.events))) return fail(error, "ringbuf", err);

    if (int err = kgrid_probe__attach(skel_)) return fail(error, "attach", err);
    return true;
  }

  int fd() const override { return ring_.fd(); }
  int drain(EventSink& sink) override { return ring_.drain(sink); }

  Result<uint64_t> drops() const override { return sum_percpu_u64(skel_->maps.drops); }

 private:
  static bool fail(DriverError& error, const char* stage, int err) {
    error = DriverError{stage, libbpf_error_text(err)};
    return false;
  }

  kgrid_probe* skel_ = nullptr;
  EventRing<kgrid_event> ring_;
};

}  // namespace

std::unique_ptr<Driver> make_modern_bpf_driver() { return std::make_unique<ModernBpf>(); }

}  // namespace kgrid::probe
