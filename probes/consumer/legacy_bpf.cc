// The "bpf" driver: a legacy (non-CO-RE) BPF object compiled for this very
// kernel (probes/bpf/), opened from a file with libbpf, delivering records
// over a BPF ring buffer. Nothing is relocated: if the object was built
// against another kernel's headers, its struct offsets are wrong and the
// ground-truth check says so.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <unistd.h>

#include <cerrno>

#include "bpf/kgrid_legacy.h"
#include "driver.h"
#include "libbpf_util.h"

namespace kgrid::probe {
namespace {

class LegacyBpf final : public Driver {
 public:
  ~LegacyBpf() override {
    bpf_link__destroy(link_);
    ring_.close();
    bpf_object__close(obj_);
  }

  bool start(const Options& options, DriverError& error) override {
    route_libbpf_log(options.verbose);
    raise_memlock_limit();

    obj_ = bpf_object__open_file(options.object.c_str(), nullptr);
    if (!obj_) return fail(error, "open", -errno, options.object + ": ");
    bpf_program* prog = bpf_object__find_program_by_name(obj_, "kgrid_sys_enter");
    bpf_map* events = bpf_object__find_map_by_name(obj_, "events");
    drops_ = bpf_object__find_map_by_name(obj_, "drops");
    bpf_map* config = bpf_object__find_map_by_name(obj_, "config");
    if (!prog || !events || !drops_ || !config) {
      error = {"open", options.object + ": not a kgrid bpf object (needs program kgrid_sys_enter, maps events, drops, config)"};
      return false;
    }
    if (options.fault == Fault::verifier) {
      bpf_program* bad = bpf_object__find_program_by_name(obj_, "kgrid_fault_verifier");
      if (!bad) return fail(error, "open", -ENOENT, "kgrid_fault_verifier: ");
      if (int err = bpf_program__set_autoload(bad, true)) return fail(error, "open", err);
    }
    if (int err = bpf_object__load(obj_)) return fail(error, "load", err);

    kgrid_legacy_config cfg{};
    cfg.self_tgid = static_cast<__u32>(getpid());
    cfg.nocapture = options.fault == Fault::nocapture;
    __u32 zero = 0;
    if (int err = bpf_map__update_elem(config, &zero, sizeof zero, &cfg, sizeof cfg, BPF_ANY))
      return fail(error, "load", err, "config map: ");

    if (int err = ring_.open(bpf_map__fd(events))) return fail(error, "ringbuf", err);

    link_ = bpf_program__attach(prog);
    if (!link_) return fail(error, "attach", -errno);
    return true;
  }

  int fd() const override { return ring_.fd(); }
  int drain(EventSink& sink) override { return ring_.drain(sink); }

  Result<uint64_t> drops() const override { return sum_percpu_u64(drops_); }

 private:
  static bool fail(DriverError& error, const char* stage, int err, const std::string& prefix = "") {
    error = DriverError{stage, prefix + libbpf_error_text(err)};
    return false;
  }

  bpf_object* obj_ = nullptr;
  bpf_map* drops_ = nullptr;
  EventRing<kgrid_legacy_event> ring_;
  bpf_link* link_ = nullptr;
};

}  // namespace

std::unique_ptr<Driver> make_legacy_bpf_driver() { return std::make_unique<LegacyBpf>(); }

}  // namespace kgrid::probe
