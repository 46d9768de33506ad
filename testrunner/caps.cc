#include "testrunner/caps.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "guest/guest_io.h"

namespace kgrid::testrunner {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

void probe_btf(Caps& caps) {
  guest::UniqueFd fd(::open(kBtfPath, O_RDONLY | O_CLOEXEC));
  char byte;
  if (fd.valid() && ::read(fd.get(), &byte, 1) == 1) {
    caps.btf = true;
    return;
  }
  caps.btf_error = errno_text(errno);
}

void probe_ringbuf(Caps& caps) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.map_type = 27;  // BPF_MAP_TYPE_RINGBUF; a number, so old headers build too
  attr.key_size = 0;
  attr.value_size = 0;
  attr.max_entries = static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));  // power of 2, page multiple
  long fd = ::syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    caps.ringbuf = true;
    return;
  }
  caps.ringbuf_error = errno_text(errno);
}

void probe_tracefs(Caps& caps) {
  if (::access(kRawSyscallsPath, F_OK) == 0) {
    caps.tracefs = true;
    return;
  }
  caps.tracefs_error = errno_text(errno);
}

}  // namespace

std::map<std::string, std::string> Caps::fields() const {
  return {{"release", release}, {"btf", btf ? "1" : "0"}, {"ringbuf", ringbuf ? "1" : "0"},
          {"tracefs", tracefs ? "1" : "0"}, {"arch", arch}};
}

Caps probe_caps() {
  Caps caps;
  utsname u{};
  if (::uname(&u) == 0) {
    caps.release = u.release;
    caps.arch = u.machine;
  }
  probe_btf(caps);
  probe_ringbuf(caps);
  probe_tracefs(caps);
  return caps;
}

void load_config(Caps& caps) {
  auto config = read_kernel_config();
  if (config) caps.config = std::move(*config);
  else caps.config_error = config.error().message;
}

std::optional<std::string> unmet_requirement(const plan::Test& test, const Caps& caps) {
  if (!test.skip.empty()) return test.skip;
  if (!test.arch.empty()) {
    bool ok = false;
    std::string list;
    for (const auto& a : test.arch) {
      ok = ok || a == caps.arch;
      list += (list.empty() ? "" : ", ") + a;
    }
    if (!ok) return "arch " + caps.arch + " is not one of: " + list;
  }
  if (!test.min_kernel.empty() && plan::compare_versions(caps.release, test.min_kernel) < 0)
    return "kernel " + caps.release + " < min_kernel " + test.min_kernel;
  if (!test.max_kernel.empty() &&
      plan::compare_versions(caps.release, test.max_kernel, plan::version_parts(test.max_kernel)) > 0)
    return "kernel " + caps.release + " > max_kernel " + test.max_kernel;
  auto why = [](const std::string& error) { return error.empty() ? "" : " (" + error + ")"; };
  for (const std::string& r : test.requires_) {
    if (r == "btf" && !caps.btf) return std::string("no BTF at ") + kBtfPath + why(caps.btf_error);
    if (r == "ringbuf" && !caps.ringbuf)
      return "no BPF ring buffer: BPF_MAP_CREATE(BPF_MAP_TYPE_RINGBUF) failed" + why(caps.ringbuf_error);
    if (r == "tracefs" && !caps.tracefs)
      return std::string("no tracefs raw_syscalls events at ") + kRawSyscallsPath + why(caps.tracefs_error);
  }
  if (caps.config) {
    plan::ConfigLookup lookup = [&](std::string_view name) -> std::optional<std::string> {
      auto it = caps.config->find(name);
      if (it == caps.config->end()) return std::nullopt;
      return it->second;
    };
    for (const std::string& c : test.config)
      if (auto why = plan::unmet_config(c, lookup)) return *why + " (from " + kProcConfigPath + ")";
  }
  return std::nullopt;
}

std::vector<std::string> requirement_warnings(const plan::Test& test, const Caps& caps) {
  if (test.config.empty() || caps.config) return {};
  std::string list;
  for (const auto& c : test.config) list += (list.empty() ? "" : ", ") + c;
  return {"not checked, no kernel config on the host and no " + std::string(kProcConfigPath) +
          " in the guest: " + list};
}

}  // namespace kgrid::testrunner
