// Builds one cell (kernel x compiler) of an external driver
// (compile/external.h), under OUT/build/<kernel-id>/:
//
//   <name>-<compiler>.log         the command, its environment, everything it printed, the verdict
//   <name>-<compiler>/src/        SRC: the cell's copy of --driver-src (CMD's working directory)
//   <name>-<compiler>/out/        OUT: where CMD may put the artifact
//   <name>-<compiler>.ko|.o       the artifact, when BUILT
//
// Verdicts: SKIP (no usable headers, kbuild's host tools cannot run here,
// a compiler of the other kind), TIMEOUT (CMD ran out of time; its process
// group is killed), BUILD_FAIL (CMD failed: the first error line of its
// output; or no artifact, several, or one that is not an object of the
// driver's kind), BUILT. Built artifacts are cached by the hash of the tree,
// CMD, --artifact, the kind, the compiler and the kernel's headers.
#pragma once

#include "compile/runner.h"
#include "compile/types.h"

namespace kgrid::host {

// `cell.external` must be set; `cell.driver` is its name.
BuildOutcome build_external_cell(const BuildCell& cell, const BuildGridOptions& options);

}  // namespace kgrid::host
