// kgrid-probe's command line.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::probe {

enum class Fault {
  none,
  nocapture,  // loaded and attached, but every event is discarded in the kernel
  verifier,   // a program the verifier rejects is loaded too, so load fails
};

struct Options {
  std::string driver = "modern_bpf";
  Fault fault = Fault::none;
  int duration_s = 0;  // 0: run until SIGINT/SIGTERM
  bool verbose = false;
  bool help = false;
};

Result<Options> parse_options(const std::vector<std::string>& args);

extern const char kUsage[];

}  // namespace kgrid::probe
