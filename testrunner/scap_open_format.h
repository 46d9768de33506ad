// The "scap-open" consumer format: Falco's libscap example program
//   scap-open --modern_bpf | --kmod | --bpf FILE [--num_events N]
// which prints a stats block when it reaches N events or gets SIGINT (not
// SIGTERM). Its wording changed between libs releases; every version seen
// is read into the same metrics:
//   events          "Number of `SCAP_SUCCESS` (events correctly captured): N"
//                   "Events correctly captured (SCAP_SUCCESS): N", "events captured: N"
//   kernel_events   "Seen by driver (kernel side events): N", "Seen by driver: N",
//                   else "[1] n_evts: N"
//   drops           "[1] n_drops: N", "Number of dropped events: N"
//   drops_buffer    "[1] n_drops_buffer_total: N",
//                   "Number of dropped events caused by full buffer...: N"
// The userspace events line is the one that must be there (done). Exit code
// 95 (SCAP_NOT_SUPPORTED: not supported or an invalid configuration) is a
// SKIP with scap-open's own message from stderr.
#pragma once

#include <memory>

#include "testrunner/consumer_format.h"

namespace kgrid::testrunner {

inline constexpr int kScapNotSupported = 95;

std::unique_ptr<ConsumerFormat> make_scap_open_format();

}  // namespace kgrid::testrunner
