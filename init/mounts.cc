#include "init/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace kgrid::init {
namespace {

constexpr unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;

// mkdir -p; errors show up later as a failed mount.
void make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0755);
  }
}

}  // namespace

const std::vector<MountSpec>& guest_mounts() {
  static const std::vector<MountSpec> specs = {
      {"proc", "proc", "/proc", "proc", kNoSuidDevExec, nullptr},
      {"sysfs", "sysfs", "/sys", "sysfs", kNoSuidDevExec, nullptr},
      {"devtmpfs", "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
      {"tmpfs", "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
      {"debugfs", "debugfs", "/sys/kernel/debug", "debugfs", kNoSuidDevExec, nullptr},
      {"tracefs", "tracefs", "/sys/kernel/tracing", "tracefs", kNoSuidDevExec, nullptr},
      {"bpffs", "bpf", "/sys/fs/bpf", "bpf", kNoSuidDevExec, "mode=0700"},
      {"cgroup2", "cgroup2", "/sys/fs/cgroup", "cgroup2", kNoSuidDevExec, nullptr},
      {"securityfs", "securityfs", "/sys/kernel/security", "securityfs", kNoSuidDevExec, nullptr},
  };
  return specs;
}

std::vector<MountFailure> mount_all(const std::vector<MountSpec>& specs) {
  std::vector<MountFailure> failures;
  for (const MountSpec& m : specs) {
    make_dirs(m.target);
    if (::mount(m.source, m.target, m.fstype, m.flags, m.data) == 0) continue;
    int err = errno;
    if (err == EBUSY) continue;  // already mounted (devtmpfs automount)
    failures.push_back({m.name, std::string("mount ") + m.fstype + " on " + m.target + ": " +
                                    std::strerror(err)});
  }
  return failures;
}

std::string failed_names(const std::vector<MountFailure>& failures) {
  std::string out;
  for (const auto& f : failures) {
    if (!out.empty()) out += ',';
    out += f.name;
  }
  return out;
}

}  // namespace kgrid::init
