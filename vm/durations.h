// How long each kernel's VM took last time, kept in kgrid's cache (as ninja
// keeps .ninja_log), so that the next sweep starts the slowest kernels
// first. With J VMs at a time the sweep then ends with short VMs rather
// than with one long VM running alone (longest processing time first).
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::host {

// key -> seconds. A key is "<accel>/<kernel id>" (TCG and KVM times differ).
using Durations = std::map<std::string, double>;

std::string duration_key(const std::string& accel, const std::string& kernel_id);

// The log at `file`: lines "<seconds>\t<key>". A missing file is empty;
// malformed lines are skipped (the log is a hint, never an error).
Durations read_durations(const std::filesystem::path& file);

// Merges `fresh` into the log at `file` (read, merge, atomic rename); a key
// already there gets the mean of its old and new seconds. Two
// sweeps ending at once may lose one's update; the next sweep writes again.
Status update_durations(const std::filesystem::path& file, const Durations& fresh);

// The order to start jobs in: known keys by falling duration, then keys
// never seen, each group in the given order. Unknown kernels go last: a
// sweep of new kernels keeps the grid's order.
std::vector<size_t> longest_first(const std::vector<std::string>& keys, const Durations& log);

}  // namespace kgrid::host
