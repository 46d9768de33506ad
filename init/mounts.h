// The file systems kgrid-init mounts before anything else runs. A mount that
// fails is reported, never fatal: the tests that need it will say so.
#pragma once

#include <string>
#include <vector>

namespace kgrid::init {

struct MountSpec {
  const char* name;    // reported in BEGIN's mounts_failed
  const char* source;
  const char* target;  // created (with parents) if missing
  const char* fstype;
  unsigned long flags;
  const char* data;
};

// In mount order: parents before the file systems mounted inside them.
const std::vector<MountSpec>& guest_mounts();

struct MountFailure {
  std::string name;
  std::string message;  // "mount tracefs on /sys/kernel/tracing: No such device"
};

std::vector<MountFailure> mount_all(const std::vector<MountSpec>& specs);

// "tracefs,securityfs": the value of BEGIN's mounts_failed.
std::string failed_names(const std::vector<MountFailure>& failures);

}  // namespace kgrid::init
