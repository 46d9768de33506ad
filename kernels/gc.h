// Trimming the cache (`kgrid kernels gc`). What counts is the last use: each
// fetch of a kernel or its headers (also from the cache) writes the time to
// <dir>/last-used; older entries fall back to their meta.json's mtime.
//
//   --keep N       keep the N most recently used kernels (and, separately,
//                  the N most recently used header trees)
//   --max-age D    remove what was not used for D days
//
// Either or both; an entry goes if any given rule says so. Removing a kernel
// also removes its decompressed vmlinux (<cache>/vmlinux/<sha256 of the
// image>.*). vmlinux files of no cached kernel (local images) go by age.
// Leftovers of killed runs (downloads/, .tmp directories) older than a day
// always go. Entries locked by a running kgrid are skipped.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::kernels {

struct GcOptions {
  std::optional<size_t> keep;                  // most recently used kept per kind
  std::optional<std::chrono::hours> max_age;   // unused for longer: removed
  bool dry_run = false;
};

struct GcEntry {
  std::string kind;  // "kernel", "headers", "vmlinux", "leftover"
  std::string id;
  std::filesystem::path path;
  uint64_t bytes = 0;
  std::time_t last_used = 0;
  std::string why;   // why it goes (empty: kept)
};

struct GcReport {
  std::vector<GcEntry> removed, kept;
  uint64_t bytes_freed = 0;
  std::vector<std::string> warnings;
};

Result<GcReport> gc_cache(const std::filesystem::path& cache_root, const GcOptions& options);

}  // namespace kgrid::kernels
