// What happened when one test ran: plain data, filled in by run_test() and
// judged by judge(). Tests build these by hand.
#pragma once

#include <cstdint>
#include <string>

#include "testrunner/child.h"
#include "testrunner/cost.h"

namespace kgrid::testrunner {

// How far the run got.
enum class Ending {
  Completed,               // probe ready, generator ran, probe stopped (signal or own exit)
  ProbeSpawnFailed,        // the probe could not be executed
  ProbeExitedBeforeReady,  // the probe exited without its ready line
  ProbeExitedEarly,        // stop_when generator: it exited on its own before the stop signal
  ProbeIgnoredSigint,      // no exit within the grace after the stop signal; killed
  TimedOut,                // timeout_s expired; everything killed
};

struct ProgramRun {
  bool started = false;
  std::string spawn_error;  // when it could not be started
  bool exited = false;      // reaped
  ExitStatus status;
  std::string out, err;
};

struct Outcome {
  Ending ending = Ending::Completed;
  std::string waiting_for;  // for TimedOut: "waiting for 'kgrid-probe: ready'", ...
  ProgramRun probe, gen;
  int64_t duration_ms = 0;  // the whole test: cost rounds, the probe, the generator
  int64_t load_ms = -1;     // spawn of the probe to its ready line (load, verifier, attach)
  int64_t gen_ms = -1;      // generator run time
  int64_t capture_ms = -1;  // ready line to the stop signal (or the probe's own exit)
  int timeout_s = 0;
  int sigint_grace_s = 10;
  std::string stop_signal = "SIGINT";
  bool stop_sent = false;   // the probe was sent stop_signal (else it exited by itself)
  CostRuns cost;            // the driver's cost (cost.h)
};

}  // namespace kgrid::testrunner
