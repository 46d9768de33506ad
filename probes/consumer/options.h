// kgrid-probe's command line.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::probe {

enum class Fault {
  none,
  nocapture,  // loaded and attached, but every event is discarded in the kernel
  verifier,   // a program the verifier rejects is loaded too, so load fails (BPF drivers)
  oops,       // the module dereferences NULL in its init (kmod)
};

struct Options {
  std::string driver = "modern_bpf";  // modern_bpf, bpf or kmod
  std::string object;                 // bpf: the BPF object file built for this kernel
  std::string module;                 // kmod: the .ko file built for this kernel
  Fault fault = Fault::none;
  int duration_s = 0;  // 0: run until SIGINT/SIGTERM
  bool verbose = false;
  bool help = false;
};

Result<Options> parse_options(const std::vector<std::string>& args);

extern const char kUsage[];

}  // namespace kgrid::probe
