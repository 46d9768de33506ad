// The build cache of the compile grid: one entry per key (the hash of
// everything that went into a build: sources, command, compiler, the
// kernel's .config and Module.symvers), holding the artifact and the log of
// the build that made it:
//
//   <cache>/<key>/artifact
//   <cache>/<key>/build.log
//
// Entries are written through a temp dir and a rename, so a concurrent kgrid
// sees all of an entry or nothing.
#pragma once

#include <filesystem>
#include <string>

namespace kgrid::host {

// Copies `from` to `to` through `to`.tmp and a rename; false on any error.
bool copy_file_atomic(const std::filesystem::path& from, const std::filesystem::path& to);

// A hit: copies the cached artifact to `artifact`, appends the cached build
// log and a line naming the entry to `log_fd`, and returns true.
bool build_cache_fetch(const std::filesystem::path& cache, const std::string& key,
                       const std::filesystem::path& artifact, int log_fd);

// Stores `artifact` and `log` under `key` (best effort: a failure leaves no entry).
void build_cache_store(const std::filesystem::path& cache, const std::string& key,
                       const std::filesystem::path& artifact, const std::filesystem::path& log);

}  // namespace kgrid::host
