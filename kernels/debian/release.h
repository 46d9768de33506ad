// The fields of a suite's Release file (the signed text of InRelease) that
// kgrid uses: the suite's names, dates, and the SHA256 list of the indexes.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

struct ReleaseFile {
  uint64_t size = 0;
  std::string sha256;
};

struct Release {
  std::string suite;     // "stable"
  std::string codename;  // "trixie"
  std::optional<std::time_t> date;
  std::optional<std::time_t> valid_until;
  bool acquire_by_hash = false;
  std::map<std::string, ReleaseFile, std::less<>> sha256;  // "main/binary-amd64/Packages.xz" -> ...
};

// Fails when the text has no SHA256 list.
Result<Release> parse_release(std::string_view text);

// "Sat, 11 Jul 2026 10:16:37 UTC" -> seconds since the epoch.
std::optional<std::time_t> parse_release_date(std::string_view text);

}  // namespace kgrid::kernels
