// The static parts of matrix.html: its style sheet and script, inlined into
// every page so that the file works alone, offline.
#pragma once

namespace kgrid::results {

extern const char kMatrixCss[];
extern const char kMatrixJs[];

}  // namespace kgrid::results
