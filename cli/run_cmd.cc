#include "cli/run_cmd.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <system_error>

#include "vm/accel_probe.h"
#include "cli/run_drivers.h"
#include "vm/durations.h"
#include "sweep/grid.h"
#include "sweep/kernel_set.h"
#include "vm/qemu.h"
#include "kernels/cache.h"
#include "kernels/image/vmlinux.h"
#include "kernels/image/preflight.h"
#include "sweep/spec_kernel.h"
#include "kernels/image/config.h"
#include "vm/repro_spec.h"
#include "cli/shell_cmd.h"
#include "vm/session.h"
#include "cli/status.h"
#include "cli/sweep_observer.h"
#include "sweep/initramfs_build.h"
#include "results/results.h"
#include "common/version.h"
#include "util/files.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;
using results::KernelResult;
using results::RunResults;
using results::Verdict;

// CONFIG requirements are checked here, against the kernel's config file.
plan::Plan plan_with_config(const plan::Plan& plan, const ResolvedKernel& k) {
  std::optional<kernels::KernelConfig> config;
  if (k.config) {
    if (auto loaded = kernels::KernelConfig::load(*k.config)) config = std::move(*loaded);
  }
  if (!config) return plan_for_kernel(plan, nullptr);
  plan::ConfigLookup lookup = [&config](std::string_view name) { return config->value(name); };
  return plan_for_kernel(plan, &lookup);
}

// qemu.cmd (to run by hand) and qemu.json (for `kgrid repro`) of one VM.
Status write_vm_files(const fs::path& dir, const VmJob& job) {
  if (auto st = write_file_atomic(dir / "qemu.cmd", shell_quote(job.argv) + "\n"); !st) return st;
  ReproSpec repro{job.id, job.argv, job.nonce, job.planned_tests, job.deadlines};
  return write_file_atomic(dir / "qemu.json", format_qemu_json(repro));
}

// One sweep, as the passes README "How it works" names: each reads and
// fills the sweep's state, and run_command() times them. A pass returns an
// error for a set-up problem before anything booted (exit 2).
class Sweep {
 public:
  explicit Sweep(const RunOptions& options) : o_(options) {}

  Status resolve_kernels();
  Status load_tests();
  Status choose_boot_images();
  Status choose_accelerator();
  Status pack();
  Status boot();
  Status report();

  // Set when a pass was interrupted before any VM ran (exit 130).
  bool stopped() const { return stopped_; }
  int exit_code() const;
  void timed(const char* pass, double s) { run_.timings.emplace_back(pass, s); }
  StatusPrinter& printer() { return printer_; }

 private:
  // results.json, written by this one writer: before the boot, after every
  // kernel (from the observer), and at the end.
  void save();

  const RunOptions& o_;
  StatusPrinter printer_;
  std::optional<AccelRequest> accel_request_;
  std::vector<ResolvedKernel> kernels_;
  std::vector<std::pair<ResolvedKernel, std::string>> predicted_boot_fail_;
  std::optional<SpecSet> tests_;
  std::optional<InitramfsBuilder> builder_;
  std::vector<KernelDriverTests> drivers_;
  std::vector<Result<kernels::BootImage>> boots_;
  std::map<std::string, AccelDecision> accel_;
  RunResults run_;
  std::vector<VmJob> jobs_;
  std::vector<QemuOptions> qemu_options_;  // per job, to boot it again under TCG
  std::vector<std::string> duration_keys_;
  PoolResult pool_;
  double wall_s_ = 0;
  bool stopped_ = false;
};

void Sweep::save() {
  if (auto st = results::write_results_json(o_.out, run_); !st) printer_.print("kgrid: warning: " + st.error().message);
}

// 1. Which kernels: grid, files, catalog ids, Debian queries; a kernel whose
// config cannot run kgrid's harness is not booted: its verdict is BOOT_FAIL
// with the reason (kernels/image/preflight.h).
Status Sweep::resolve_kernels() {
  auto request = host::accel_request(o_.accel, o_.no_kvm, std::getenv);
  if (!request) return request.error();
  accel_request_ = *request;
  auto sources = kernel_sources(o_.kernels, o_.grid,
                                "--kernel FILE, --kernels DIR, --grid FILE or debian:<suite>/<package>");
  if (!sources) return sources.error();
  printer_.print(fmt::format("kgrid: resolving {} kernel source(s)", sources->size()));
  auto kernels = host::resolve_kernels(*sources, ResolveOptions{o_.mirror});
  if (!kernels) return kernels.error();
  kernels_ = std::move(*kernels);
  std::erase_if(kernels_, [&](const ResolvedKernel& k) {
    auto pre = kernels::preflight(k.image, k.config);
    if (!pre || pre->boot_fail_reason.empty()) return false;
    predicted_boot_fail_.emplace_back(k, pre->boot_fail_reason);
    return true;
  });
  return make_dirs(o_.out / "kernels");
}

// 2. The tests: --spec files or the built-in ones, the guest files they
// pack, and per-kernel drivers (--build, --artifacts: one test per artifact).
Status Sweep::load_tests() {
  auto tests = host::load_tests(o_.plan);  // --spec files, or the built-in tests
  if (!tests) return tests.error();
  tests_ = std::move(*tests);
  builder_.emplace(o_.guest_dir.empty() ? kgrid_exe_dir() : o_.guest_dir);
  for (const SpecFile& f : tests_->files) builder_->add_file(f.host, f.guest);
  if (auto st = builder_->check(); !st) return st;
  auto drivers = per_kernel_driver_tests(kernels_, o_.drivers, o_.out, o_.plan.test_timeout_s, printer_);
  if (!drivers) return drivers.error();
  drivers_ = std::move(*drivers);
  return ok_status();
}

// 3. What QEMU boots: with --boot auto/pvh, each bzImage's payload is
// decompressed once on the host into a cached vmlinux (kernels/image/vmlinux.h),
// several kernels at once.
Status Sweep::choose_boot_images() {
  auto mode = kernels::parse_boot_mode(o_.boot);
  if (!mode) return mode.error();
  std::vector<fs::path> images;
  for (const auto& k : kernels_) images.push_back(k.image);
  boots_ = kernels::choose_boot_images(images, *mode, o_.jobs);
  return ok_status();
}

// 4. The accelerator, per guest architecture: KVM only once it has proved
// itself on this host (vm/accel.h); the probe boots the first kernel.
Status Sweep::choose_accelerator() {
  std::optional<TempDir> probe_dir;
  for (size_t i = 0; i < kernels_.size(); ++i) {
    const ResolvedKernel& k = kernels_[i];
    if (accel_.count(k.arch)) continue;
    AccelSetup setup;
    setup.request = *accel_request_;
    setup.guest_arch = k.arch;
    setup.probe_kernel = [&, i]() -> Result<ProbeKernel> {
      if (!boots_[i]) return boots_[i].error();
      auto tmp = TempDir::create("kgrid-kvm-probe-");
      if (!tmp) return tmp.error();
      probe_dir.emplace(std::move(*tmp));
      return probe_kernel_for(*builder_, k, boots_[i]->path, probe_dir->path());
    };
    auto decision = choose_accel(setup);
    if (!decision) return decision.error();
    if (decision->interrupted) {
      printer_.print("kgrid: interrupted while probing KVM; nothing was run");
      stopped_ = true;
      return ok_status();
    }
    if (decision->fell_back) printer_.print("kgrid: " + decision->reason);
    if (decision->probed && decision->kvm)
      printer_.print(fmt::format("kgrid: KVM: {} (the probe took {:.2f}s)", decision->reason, decision->probe_s));
    accel_[k.arch] = *decision;
  }
  return ok_status();
}

// 5. Per kernel: its initramfs (the cached base plus a small overlay), its
// QEMU command (qemu.cmd, qemu.json), and its place in results.json.
Status Sweep::pack() {
  run_.kgrid_version = kgrid::kVersion;
  run_.started_at = results::utc_now_iso8601();
  if (!kernels_.empty()) {
    const AccelDecision& first = accel_[kernels_.front().arch];
    run_.accel = first.kvm ? "kvm" : "tcg";
    run_.accel_reason = first.reason;
  }
  const plan::Plan& plan = tests_->plan;
  for (size_t i = 0; i < kernels_.size(); ++i) {
    const ResolvedKernel& k = kernels_[i];
    KernelResult r;
    r.id = k.id;
    r.version = k.release;
    r.arch = k.arch;
    r.image = k.image.string();
    r.source = k.source;
    r.reason = "not run yet";
    r.accel = accel_[k.arch].kvm ? "kvm" : "tcg";
    r.builds = drivers_[i].builds;
    run_.kernels.push_back(r);

    fs::path dir = o_.out / "kernels" / k.id;
    if (auto st = make_dirs(dir); !st) return st;
    const plan::Plan kernel_plan = plan_with_config(with_driver_tests(plan, drivers_[i]), k);
    auto initrd = builder_->build_for(k, kernel_plan, dir / "initrd.img", overlay_files(drivers_[i]));
    if (!initrd) return make_error(k.id + ": " + initrd.error().message);
    const ArchSpec* spec = find_arch(k.arch);
    if (!spec) return make_error(k.id + ": no QEMU support for architecture " + k.arch);
    const auto& boot = boots_[i];
    if (!boot) return make_error(k.id + ": " + boot.error().message);
    if (boot->extracted)
      printer_.print(fmt::format("kgrid: {}: vmlinux decompressed for PVH boot in {:.1f}s (cached)", k.id, boot->extract_s));
    if (!boot->why.empty()) printer_.print(fmt::format("kgrid: {}: booting {}: {}", k.id, boot->mode, boot->why));
    run_.kernels.back().boot_mode = boot->mode;

    QemuOptions q;
    q.arch = k.arch;
    q.kernel = fs::absolute(boot->path).string();
    q.initrd = fs::absolute(dir / "initrd.img").string();
    q.append = o_.append;
    q.nonce = make_nonce();
    q.memory_mb = o_.memory_mb;
    q.cpu = o_.cpu;
    q.kvm = accel_[k.arch].kvm;
    q.quiet = o_.quiet_kernel;
    VmJob job;
    job.id = k.id;
    job.argv = qemu_argv(q, *spec);
    job.nonce = q.nonce;
    job.planned_tests = kernel_plan.tests.size();
    job.console_log = dir / "console.log";
    job.deadlines = o_.deadlines;
    if (auto st = write_vm_files(dir, job); !st) return st;
    jobs_.push_back(std::move(job));
    qemu_options_.push_back(q);
  }
  for (const auto& [k, reason] : predicted_boot_fail_) {  // after the booted ones: job i is run_.kernels[i]
    KernelResult r;
    r.id = k.id;
    r.version = k.release;
    r.arch = k.arch;
    r.image = k.image.string();
    r.source = k.source;
    r.verdict = Verdict::BootFail;
    r.reason = reason;
    run_.kernels.push_back(r);
    printer_.print(fmt::format("kgrid: {}: not booted: {}", k.id, reason));
  }
  return results::write_results_json(o_.out, run_);
}

// 6. Boot them all, the slowest kernels of earlier sweeps first
// (vm/durations.h); kernels that never reached init under KVM run again
// under TCG.
Status Sweep::boot() {
  std::string accel_text = kernels_.empty() ? "TCG" : accel_label(accel_[kernels_.front().arch]);
  printer_.print(fmt::format("kgrid: {} kernel(s), {} at a time, {}", jobs_.size(),
                             std::min(o_.jobs, jobs_.size()), accel_text));
  SweepObserver observer(run_, kernels_, printer_, [this] { save(); });
  observer.driver_tests = drivers_;
  auto cache = kernels::cache_dir();
  std::vector<size_t> all;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    duration_keys_.push_back(duration_key(run_.kernels[i].accel, jobs_[i].id));
    all.push_back(i);
  }
  Durations known = cache ? read_durations(*cache / "durations.tsv") : Durations{};
  observer.set_pass(all, /*retry_kvm=*/true);
  pool_ = run_pool(jobs_, o_.jobs, observer, longest_first(duration_keys_, known));

  if (!pool_.interrupted && !observer.kvm_failures.empty()) {
    std::vector<VmJob> again;
    std::vector<size_t> map;
    for (const auto& [i, what] : observer.kvm_failures) {
      KernelResult& r = run_.kernels[i];
      printer_.print(fmt::format("kgrid: {}: did not reach init under KVM ({}); running it again under TCG", r.id, what));
      QemuOptions q = qemu_options_[i];
      q.kvm = false;
      q.nonce = make_nonce();
      VmJob job = jobs_[i];
      job.argv = qemu_argv(q, *find_arch(q.arch));
      job.nonce = q.nonce;
      if (auto st = write_vm_files(o_.out / "kernels" / r.id, job); !st)
        printer_.print("kgrid: warning: " + st.error().message);
      r.accel = "tcg";
      r.accel_note = "under KVM it did not reach init (" + what + "); this verdict is TCG's";
      duration_keys_[i] = duration_key("tcg", r.id);
      again.push_back(std::move(job));
      map.push_back(i);
    }
    observer.kvm_failures.clear();
    observer.set_pass(map, /*retry_kvm=*/false);
    pool_ = run_pool(again, o_.jobs, observer);
  }
  printer_.finish();
  wall_s_ = observer.elapsed();
  if (!pool_.interrupted && cache) {
    Durations fresh;
    for (size_t i = 0; i < jobs_.size(); ++i)
      if (run_.kernels[i].duration_s > 0) fresh[duration_keys_[i]] = run_.kernels[i].duration_s;
    if (auto st = update_durations(*cache / "durations.tsv", fresh); !st)
      printer_.print("kgrid: warning: cannot record VM times: " + st.error().message);
  }
  return ok_status();
}

// 7. results.json, summary.txt and the reports.
Status Sweep::report() {
  run_.interrupted = pool_.interrupted;
  run_.wall_s = wall_s_;
  if (auto st = results::write_results_json(o_.out, run_); !st) return st;
  if (auto st = results::write_summary(o_.out, run_); !st) return st;
  if (auto reports = results::regenerate_reports(o_.out); !reports)
    printer_.print("kgrid: warning: " + reports.error().message);
  size_t passed = 0;
  for (const auto& k : run_.kernels) passed += k.verdict == Verdict::Pass;
  printer_.print(fmt::format("kgrid: {}/{} kernel(s) passed in {:.1f}s; results in {}", passed,
                             run_.kernels.size(), run_.wall_s, o_.out.string()));
  if (pool_.interrupted) printer_.print("kgrid: interrupted by " + pool_.signal_name + "; partial results written");
  return ok_status();
}

int Sweep::exit_code() const {
  if (pool_.interrupted) return 130;
  for (const auto& k : run_.kernels)
    if (k.verdict != Verdict::Pass) return 1;
  return 0;
}

}  // namespace

int run_command(const RunOptions& options) {
  using Pass = Status (Sweep::*)();
  static constexpr std::pair<const char*, Pass> kPasses[] = {
      {"resolve kernels", &Sweep::resolve_kernels},
      {"load tests", &Sweep::load_tests},
      {"boot images", &Sweep::choose_boot_images},
      {"accelerator", &Sweep::choose_accelerator},
      {"pack", &Sweep::pack},
      {"boot", &Sweep::boot},
      {"report", &Sweep::report},
  };
  Sweep sweep(options);
  std::string timings;
  for (const auto& [name, pass] : kPasses) {
    auto t0 = std::chrono::steady_clock::now();
    Status st = (sweep.*pass)();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sweep.timed(name, s);  // the report pass writes results.json before its own time is known
    timings += fmt::format("{}{} {:.2f}s", timings.empty() ? "" : ", ", name, s);
    if (!st) {
      std::fprintf(stderr, "kgrid: error: %s\n", st.error().message.c_str());
      return 2;
    }
    if (sweep.stopped()) return 130;
  }
  if (options.timings) sweep.printer().print("kgrid: timings: " + timings);
  return sweep.exit_code();
}

}  // namespace kgrid::host
