#include "vm/accel_host.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "common/unique_fd.h"
#include "sweep/shell_files.h"
#include "kernels/cache.h"
#include "kernels/sha256.h"
#include "results/results.h"
#include "util/files.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

std::string read_small_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string errno_text(const char* what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

// Opens /dev/kvm and tries what QEMU will do first; "" when all of it worked.
void probe_device(KvmFacts& f) {
  std::error_code ec;
  f.device = fs::exists("/dev/kvm", ec);
  if (!f.device) return;
  UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm.valid()) {
    f.open_error = std::strerror(errno);
    return;
  }
  int api = ::ioctl(kvm.get(), KVM_GET_API_VERSION, 0);
  if (api != KVM_API_VERSION) {
    f.create_error = api < 0 ? errno_text("KVM_GET_API_VERSION") : fmt::format("KVM API version {}, not {}", api, KVM_API_VERSION);
    return;
  }
  UniqueFd vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0));
  if (!vm.valid()) {
    f.create_error = errno_text("KVM_CREATE_VM");
    return;
  }
  UniqueFd vcpu(::ioctl(vm.get(), KVM_CREATE_VCPU, 0));
  if (!vcpu.valid()) f.create_error = errno_text("KVM_CREATE_VCPU");
}

}  // namespace

std::string host_arch() {
  utsname u{};
  if (::uname(&u) != 0) return "";
  std::string m = u.machine;
  if (m == "aarch64") return "arm64";
  return m;
}

KvmFacts read_kvm_facts() {
  KvmFacts f;
  f.host_arch = host_arch();
  std::error_code ec;
  for (const char* m : {"kvm_intel", "kvm_amd", "kvm_pvm"})
    if (fs::exists(fs::path("/sys/module") / m, ec)) f.modules.push_back(m);
  if (f.host_arch == "x86_64") {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    f.cpu_virt = false;
    while (std::getline(in, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line.substr(line.find(':') + 1));
      std::string w;
      while (words >> w)
        if (w == "vmx" || w == "svm") f.cpu_virt = true;
      break;  // the first CPU speaks for all
    }
  }
  probe_device(f);
  return f;
}

std::string host_boot_id() {
  std::string id = read_small_file("/proc/sys/kernel/random/boot_id");
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

std::string qemu_identity(const std::string& qemu_binary) {
  fs::path path = find_in_path(qemu_binary);
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return "";
  return fmt::format("{} {} {}", fs::absolute(path).string(), st.st_size, st.st_mtim.tv_sec);
}

fs::path accel_cache_file(const AccelCacheKey& key) {
  auto dir = kernels::cache_dir();
  if (!dir) return {};
  return *dir / "accel" / (kernels::sha256_hex(key.qemu).substr(0, 16) + ".json");
}

std::optional<ProbeVerdict> read_accel_cache(const AccelCacheKey& key) {
  fs::path file = accel_cache_file(key);
  if (file.empty() || key.boot_id.empty()) return std::nullopt;
  return parse_accel_cache(read_small_file(file), key);
}

void write_accel_cache(const AccelCacheKey& key, const ProbeVerdict& verdict) {
  fs::path file = accel_cache_file(key);
  if (file.empty() || key.boot_id.empty()) return;
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  (void)write_file_atomic(file, format_accel_cache(key, verdict));  // a lost verdict only means one more probe
}

}  // namespace kgrid::host
