// The event generator's ground truth (kgrid-gen's stdout, docs/design.md):
//   kgrid-gen: pid=<pid>
//   kgrid-gen: syscall nr=<nr> name=<name> n=<count>
//   kgrid-gen: done
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::testrunner {

struct SyscallTruth {
  long nr = 0;
  std::string name;
  uint64_t n = 0;
};

struct Truth {
  long pid = 0;
  std::vector<SyscallTruth> syscalls;
};

// Errors: no pid line, no done line, a malformed kgrid-gen line.
Result<Truth> parse_truth(std::string_view stdout_text);

}  // namespace kgrid::testrunner
