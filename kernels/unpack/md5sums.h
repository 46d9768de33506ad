// A Debian package's own checksums: control.tar's "md5sums" lists the MD5
// of every file in data.tar ("<32 hex>  <path>", paths without "./"). kgrid
// checks the files it extracts against it; in a partial fetch it is the
// only check (the package's SHA-256 covers bytes that never came down).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

using Md5Sums = std::map<std::string, std::string>;  // normalised path -> lower-case hex MD5

// Parses an md5sums file; a malformed line is an error naming it.
Result<Md5Sums> parse_md5sums(std::string_view text);

}  // namespace kgrid::kernels
