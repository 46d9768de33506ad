// A driver is one way of getting syscall-entry events out of the kernel.
// kgrid-probe picks one with --driver: "modern_bpf" (CO-RE eBPF built into
// kgrid-probe), "bpf" (a legacy eBPF object built for this kernel, loaded
// from --object) or "kmod" (a kernel module built for this kernel, loaded
// from --module). All deliver {tgid, nr} records through this interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "options.h"

namespace kgrid::probe {

// Why start() failed: `stage` is a short word (open, load, attach, ...),
// `text` the library's own error message.
struct DriverError {
  std::string stage;
  std::string text;
};

// Receives the events a driver reads.
class EventSink {
 public:
  virtual void on_event(uint32_t tgid, int32_t nr) = 0;
  // A record arrived but could not be understood (wrong size).
  virtual void on_bad_record() = 0;

 protected:
  ~EventSink() = default;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // Loads and attaches. Only after it returns true are events produced.
  virtual bool start(const Options& options, DriverError& error) = 0;
  // Becomes readable when events are pending.
  virtual int fd() const = 0;
  // Hands every pending event to `sink`; returns a negative errno on failure.
  virtual int drain(EventSink& sink) = 0;
  // Events the kernel side produced but could not queue.
  virtual Result<uint64_t> drops() const = 0;
  // Detaches and unloads, after the last drain(). An error here (a module
  // that will not unload) fails the run: it is the driver's fault.
  virtual bool stop(DriverError& error) {
    (void)error;
    return true;
  }
};

std::unique_ptr<Driver> make_modern_bpf_driver();
std::unique_ptr<Driver> make_legacy_bpf_driver();
std::unique_ptr<Driver> make_kmod_driver();

// nullptr for an unknown name.
std::unique_ptr<Driver> make_driver(std::string_view name);

}  // namespace kgrid::probe
