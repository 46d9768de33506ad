#include "cli/doctor_cmd.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "vm/accel_host.h"
#include "vm/accel_probe.h"
#include "compile/compilers.h"
#include "vm/qemu.h"
#include "cli/shell_cmd.h"
#include "sweep/shell_files.h"
#include "vm/session.h"
#include "kernels/debian/apt_sources.h"
#include "kernels/cache.h"
#include "kernels/debian/signature.h"
#include "util/process.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;

const char* level_name(CheckLevel l) { return l == CheckLevel::Ok ? "ok" : l == CheckLevel::Note ? "note" : "PROBLEM"; }

DoctorCheck qemu_check(const std::string& arch, const std::string& package, bool needed) {
  const ArchSpec* spec = find_arch(arch);
  DoctorCheck c{"qemu " + arch};
  fs::path path = spec ? fs::path(find_in_path(spec->qemu_binary)) : fs::path();
  if (path.empty()) {
    c.level = needed ? CheckLevel::Problem : CheckLevel::Note;
    c.value = (spec ? spec->qemu_binary : "qemu") + " not found";
    c.fix = "apt-get install " + package + (needed ? "" : " (only for " + arch + " kernels)");
    return c;
  }
  ProcessOptions po;
  po.timeout = std::chrono::seconds(10);
  auto version = run_process({path.string(), "--version"}, po);
  std::string first = version && version->ok() ? version->out.substr(0, version->out.find('\n')) : "version unknown";
  c.value = path.string() + ": " + first;
  return c;
}

// A kernel already in the cache to probe KVM with, if there is one.
std::optional<ResolvedKernel> cached_kernel() {
  auto cache = kernels::cache_dir();
  if (!cache) return std::nullopt;
  std::error_code ec;
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(*cache / "kernels", ec))
    if (fs::is_regular_file(entry.path() / "vmlinuz", ec)) images.push_back(entry.path() / "vmlinuz");
  std::sort(images.begin(), images.end());
  for (const auto& image : images) {
    auto k = resolve_kernels({image.string()}, ResolveOptions{});
    if (k && k->size() == 1 && k->front().arch == host_arch()) return k->front();
  }
  return std::nullopt;
}

DoctorCheck accel_check(const DoctorOptions& o, DoctorReport& report) {
  DoctorCheck c{"accelerator"};
  auto request = accel_request(o.accel, false, std::getenv);
  if (!request) {
    c.level = CheckLevel::Problem;
    c.value = request.error().message;
    c.fix = "use --accel auto|kvm|tcg, or unset KGRID_ACCEL";
    return c;
  }
  std::optional<TempDir> dir;
  std::optional<InitramfsBuilder> builder;
  AccelSetup setup;
  setup.request = *request;
  setup.guest_arch = host_arch();
  setup.probe_kernel = [&]() -> Result<ProbeKernel> {
    auto k = cached_kernel();
    if (!k) return make_error("no kernel in the cache yet; the first kgrid run probes with its first kernel");
    builder.emplace(kgrid_exe_dir());
    if (auto st = builder->check(); !st) return st.error();
    auto tmp = TempDir::create("kgrid-doctor-");
    if (!tmp) return tmp.error();
    dir.emplace(std::move(*tmp));
    return probe_kernel_for(*builder, *k, k->image, dir->path());
  };
  auto t0 = std::chrono::steady_clock::now();
  auto d = choose_accel(setup);
  double took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!d) {
    c.level = CheckLevel::Problem;
    c.value = d.error().message;
    c.fix = "use --accel auto or tcg";
    report.accel = "none";
    return c;
  }
  report.accel = d->kvm ? "kvm" : "tcg";
  report.accel_reason = d->reason;
  c.value = d->kvm ? "KVM: " + d->reason : d->fell_back ? d->reason : accel_label(*d);
  if (d->probed)
    c.value += fmt::format(" (a probe boot just now: {:.2f}s)", d->probe_s);
  else if (d->from_cache)
    c.value += fmt::format(" (decided in {:.1f} ms by an earlier probe in this host boot)", took_ms);
  else if (d->fell_back)
    c.value += fmt::format(" (decided in {:.1f} ms from this host's signals)", took_ms);
  if (!d->kvm && d->fell_back) {
    c.level = CheckLevel::Note;
    c.fix = "none needed: kgrid runs every kernel under TCG (2-3 s to init); KVM would be faster";
  }
  return c;
}

DoctorCheck tool_check(const std::string& name, const std::string& program, const std::string& why,
                       const std::string& package) {
  DoctorCheck c{name};
  fs::path p = find_in_path(program);
  if (p.empty()) {
    c.level = CheckLevel::Note;
    c.value = program + " not found (" + why + ")";
    c.fix = "apt-get install " + package;
  } else {
    c.value = p.string() + " (" + why + ")";
  }
  return c;
}

}  // namespace

std::string format_doctor_table(const DoctorReport& r) {
  size_t width = 0;
  for (const auto& c : r.checks) width = std::max(width, c.name.size());
  std::string out;
  size_t problems = 0;
  for (const auto& c : r.checks) {
    out += fmt::format("{:<{}}  {:<7}  {}\n", c.name, width, level_name(c.level), c.value);
    if (!c.fix.empty()) out += fmt::format("{:<{}}           -> {}\n", "", width, c.fix);
    problems += c.level == CheckLevel::Problem;
  }
  out += problems ? fmt::format("\n{} problem(s): kgrid run will not work until they are fixed\n", problems)
                  : std::string("\nkgrid can run here\n");
  return out;
}

std::string format_doctor_json(const DoctorReport& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : r.checks)
    checks.push_back({{"name", c.name}, {"level", level_name(c.level)}, {"value", c.value}, {"fix", c.fix}});
  nlohmann::json j = {{"schema", 1},   {"accel", r.accel},   {"accel_reason", r.accel_reason},
                      {"jobs", r.jobs}, {"checks", checks}};
  return j.dump(2) + "\n";
}

int doctor_command(const DoctorOptions& o) {
  DoctorReport r;
  if (o.which_accel) {
    DoctorCheck accel = accel_check(o, r);
    if (accel.level == CheckLevel::Problem) {
      std::fprintf(stderr, "kgrid: error: %s\n", accel.value.c_str());
      return 2;
    }
    std::fprintf(stderr, "kgrid doctor: %s\n", r.accel_reason.c_str());
    std::printf("%s\n", r.accel.c_str());
    return 0;
  }
  r.checks.push_back(qemu_check("x86_64", "qemu-system-x86", true));
  r.checks.push_back(qemu_check("arm64", "qemu-system-arm", false));
  r.checks.push_back(accel_check(o, r));

  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto avail = mem_available_kib();
  std::string note;
  r.jobs = choose_jobs(0, cores, 512, avail, note);
  r.checks.push_back(DoctorCheck{"cores, memory", CheckLevel::Ok,
                      fmt::format("{} core(s), {} MiB available: -j {} by default (512 MiB guests){}", cores,
                                  avail ? std::to_string(*avail / 1024) : "?", r.jobs, note.empty() ? "" : "; " + note)});

  DoctorCheck cache{"cache"};
  if (auto dir = kernels::cache_dir()) {
    fs::path probe = *dir;
    while (!probe.empty() && !fs::exists(probe)) probe = probe.parent_path();
    struct statvfs vfs {};
    double free_gib = ::statvfs(probe.c_str(), &vfs) == 0 ? static_cast<double>(vfs.f_bavail) * vfs.f_frsize / (1 << 30) : -1;
    cache.value = fmt::format("{} ({:.1f} GiB free)", dir->string(), free_gib);
    if (free_gib >= 0 && free_gib < 2) {
      cache.level = CheckLevel::Problem;
      cache.fix = "free some space, `kgrid kernels gc --keep 10`, or set KGRID_CACHE_DIR to a larger disk";
    }
  } else {
    cache.level = CheckLevel::Problem;
    cache.value = dir.error().message;
    cache.fix = "set KGRID_CACHE_DIR or HOME";
  }
  r.checks.push_back(cache);

  DoctorCheck mirror{"debian mirror"};
  if (auto m = kernels::find_debian_mirror(o.mirror)) {
    mirror.value = *m;
  } else {
    mirror.level = CheckLevel::Problem;
    mirror.value = m.error().message;
    mirror.fix = "pass --mirror URL or set KGRID_MIRROR";
  }
  r.checks.push_back(mirror);
  DoctorCheck keyring{"keyring"};
  fs::path kr = kernels::archive_keyring();
  std::error_code ec;
  keyring.value = kr.string();
  if (!fs::is_regular_file(kr, ec)) {
    keyring.level = CheckLevel::Problem;
    keyring.value += " is missing";
    keyring.fix = "apt-get install debian-archive-keyring, or set KGRID_KEYRING";
  }
  r.checks.push_back(keyring);
  r.checks.push_back(tool_check("gpgv", "gpgv", "checks each suite's InRelease signature", "gpgv"));
  if (r.checks.back().level != CheckLevel::Ok) r.checks.back().level = CheckLevel::Problem;

  DoctorCheck compilers{"compilers"};
  std::string names;
  for (const auto& c : find_compilers(path_dirs_from_env())) names += (names.empty() ? "" : ", ") + c.name;
  compilers.value = names.empty() ? "none (the compile grid, kgrid build, has nothing to build with)" : names;
  if (names.empty()) {
    compilers.level = CheckLevel::Note;
    compilers.fix = "apt-get install gcc-12 clang-14 llvm-14";
  }
  r.checks.push_back(compilers);

  DoctorCheck busybox{"busybox"};
  if (auto b = find_busybox(host_arch())) {
    busybox.value = b->string() + " (kgrid shell, kgrid repro --shell)";
  } else {
    busybox.level = CheckLevel::Note;
    busybox.value = "not found (kgrid shell, kgrid repro --shell)";
    busybox.fix = "apt-get install busybox-static";
  }
  r.checks.push_back(busybox);
  r.checks.push_back(tool_check("gdb", "gdb", "kgrid shell --gdb", "gdb"));

  std::fputs((o.json ? format_doctor_json(r) : format_doctor_table(r)).c_str(), stdout);
  for (const auto& c : r.checks)
    if (c.level == CheckLevel::Problem) return 1;
  return 0;
}

}  // namespace kgrid::host
