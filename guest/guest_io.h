// Small I/O helpers shared by the guest binaries (kgrid-init, kgrid-testrunner):
// an owning fd, single-write() output and the twice-written protocol record.
#pragma once

#include "common/unique_fd.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace kgrid::guest {

using UniqueFd = kgrid::UniqueFd;

// Writes `data` with one write() call (retried on EINTR). If the kernel takes
// only part of it, the rest follows in further calls. False on error.
bool write_once(int fd, std::string_view data);

// Writes one plain console line ("\n" appended).
void say(int fd, std::string_view line);

// Encodes one protocol record and writes it twice, each copy with one write().
bool send_record(int fd, const std::string& nonce, uint64_t seq, const std::string& type,
                 const std::map<std::string, std::string>& fields);

// Milliseconds on CLOCK_BOOTTIME (since boot) and CLOCK_MONOTONIC.
int64_t boottime_ms();
int64_t monotonic_ms();

// Reads a whole (small) file such as /proc/cmdline; empty on error.
std::string read_file(const char* path);

}  // namespace kgrid::guest
