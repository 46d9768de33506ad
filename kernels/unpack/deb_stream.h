// Pulling files out of a .deb while it downloads: the transfer (HttpStream)
// feeds libarchive directly, so no package is ever stored, and the same
// safety checks as extract_from_deb() apply (deb.h). Two modes:
//
//  verified  after the wanted files are out, the rest of the package is
//            received only to finish its SHA-256 (not decompressed); size
//            and SHA-256 must match the index before the caller keeps
//            anything.
//  partial   the transfer stops as soon as the wanted files are out. The
//            package's SHA-256 cannot be checked then; the files are
//            checked against the md5sums inside the package instead
//            (control.tar comes before data.tar). A package whose md5sums
//            does not list a wanted file is fetched whole and verified, and
//            so is one with less than 1 MiB left to come when the files are
//            out (the new layout's linux-binary is little but vmlinuz).
//
// In both modes a file that the package's md5sums lists must match it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kernels/unpack/deb.h"
#include "kernels/download/http.h"

namespace kgrid::kernels {

enum class FetchMode { Verified, Partial };

// "verified" or "partial"; anything else is an error saying what is accepted.
Result<FetchMode> parse_fetch_mode(std::string_view text);
const char* fetch_mode_name(FetchMode mode);

struct DebStreamed {
  uint64_t bytes_fetched = 0;   // received from the server
  bool sha256_checked = false;  // false: partial, checked by md5sums only
  std::vector<std::string> notes;  // e.g. why a partial fetch went whole
};

// `options` carries the index's expected_sha256 and expected_size (both
// required in verified mode). Errors name the package file.
Result<DebStreamed> stream_from_deb(const std::string& url, const std::vector<DebExtract>& wanted, FetchMode mode,
                                    const DownloadOptions& options);

}  // namespace kgrid::kernels
