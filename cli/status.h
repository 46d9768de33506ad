// The live status display, ninja style: on a smart terminal one status line
// is redrawn in place and finished kernels scroll above it; otherwise (a pipe,
// TERM=dumb, CI logs) each event is a plain line. NO_COLOR and
// CLICOLOR_FORCE are honoured.
#pragma once

#include <cstdio>
#include <string>

#include "results/results.h"

namespace kgrid::host {

class StatusPrinter {
 public:
  explicit StatusPrinter(FILE* out = stdout);

  bool smart() const { return smart_; }
  // Redraws the status line (smart terminals only).
  void status(const std::string& line);
  // Prints a line that stays, e.g. a finished kernel.
  void print(const std::string& line);
  // "PASS" in green etc., when colour is on.
  std::string verdict(results::Verdict v) const;
  // Clears the status line before the program prints anything else.
  void finish();

 private:
  FILE* out_;
  bool smart_ = false;
  bool color_ = false;
  bool have_status_ = false;
};

}  // namespace kgrid::host
