// What the two libbpf-based drivers (modern_bpf, bpf) share: libbpf's log
// routed to stderr, its error text, the per-CPU drop counter's total, and
// the ring buffer their events arrive on.
#pragma once

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.h"
#include "driver.h"

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

// A BPF ring buffer whose records are `Event`s (with `tgid` and `nr`), each
// handed to the sink that drain() is given; a shorter record is a bad one.
template <class Event>
class EventRing {
 public:
  EventRing() = default;
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;
  ~EventRing() { close(); }

  // 0, or a negative errno.
  int open(int map_fd) {
    rb_ = ring_buffer__new(map_fd, on_record, this, nullptr);
    return rb_ ? 0 : -errno;
  }
  void close() {
    ring_buffer__free(rb_);
    rb_ = nullptr;
  }
  int fd() const { return ring_buffer__epoll_fd(rb_); }
  // Everything available now; 0 or a negative error.
  int drain(EventSink& sink) {
    sink_ = &sink;
    int n = ring_buffer__consume(rb_);
    sink_ = nullptr;
    return n < 0 ? n : 0;
  }

 private:
  static int on_record(void* ctx, void* data, size_t size) {
    auto* self = static_cast<EventRing*>(ctx);
    if (size < sizeof(Event)) {
      self->sink_->on_bad_record();
      return 0;
    }
    const auto* e = static_cast<const Event*>(data);
    self->sink_->on_event(e->tgid, e->nr);
    return 0;
  }

  ring_buffer* rb_ = nullptr;
  EventSink* sink_ = nullptr;
};

}  // namespace kgrid::probe
