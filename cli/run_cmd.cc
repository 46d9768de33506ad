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
#include "compile/run_drivers.h"
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
#include "sweep/initramfs_build.h"
#include "results/results.h"

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
  if (auto st = results::write_file_atomic(dir / "qemu.cmd", shell_quote(job.argv) + "\n"); !st) return st;
  ReproSpec repro{job.id, job.argv, job.nonce, job.planned_tests, job.deadlines};
  return results::write_file_atomic(dir / "qemu.json", format_qemu_json(repro));
}

// Watches the pool and keeps results.json current after every kernel, so an
// interrupted or killed run still leaves valid results.
class SweepObserver : public RunObserver {
 public:
  SweepObserver(RunResults& run, const std::vector<ResolvedKernel>& kernels, const fs::path& out,
                StatusPrinter& printer)
      : run_(run), kernels_(kernels), out_(out), printer_(printer),
        started_at_(std::chrono::steady_clock::now()) {}

  // The pool's job i is kernel map[i]. With `retry_kvm`, a kernel booted under
  // KVM that never reached init is not judged: it goes to kvm_failures, to
  // run again under TCG, because a broken accelerator must never decide a
  // kernel's verdict.
  void set_pass(std::vector<size_t> map, bool retry_kvm) {
    map_ = std::move(map);
    retry_kvm_ = retry_kvm;
  }

  void started(size_t job) override {
    ++running_;
    current_[map_[job]] = "booting";
    redraw();
  }

  void progress(size_t job, const std::string& what) override {
    current_[map_[job]] = what;
    redraw();
  }

  void finished(size_t job, const VmOutcome& o) override {
    job = map_[job];
    if (current_.erase(job)) --running_;
    if (retry_kvm_ && run_.kernels[job].accel == "kvm" && o.boot_s == 0 && o.end.kind != EndKind::Interrupted) {
      kvm_failures.push_back({job, fmt::format("{}: {}", results::verdict_name(o.judgement.verdict), o.judgement.reason)});
      redraw();
      return;
    }
    const ResolvedKernel& k = kernels_[job];
    KernelResult& r = run_.kernels[job];
    r.verdict = o.judgement.verdict;
    r.reason = o.judgement.reason;
    r.tests = o.judgement.tests;
    r.warnings = o.judgement.warnings;
    r.duration_s = o.duration_s;
    r.boot_s = o.boot_s;
    r.init_s = o.judgement.init_s;
    if (job < driver_tests.size()) merge_driver_results(r, driver_tests[job]);
    ++finished_;
    run_.wall_s = elapsed();
    if (auto st = results::write_results_json(out_, run_); !st)
      printer_.print("kgrid: warning: " + st.error().message);
    std::string line = fmt::format("[{}/{}] {} {} ({:.1f}s)", finished_, kernels_.size(),
                                   printer_.verdict(r.verdict), k.id, o.duration_s);
    if (!r.reason.empty()) line += ": " + r.reason;
    printer_.print(line);
    redraw();
  }

  // Per kernel: its driver artifacts' tests (compile/run_drivers.h), merged into
  // its result when its VM finishes.
  std::vector<KernelDriverTests> driver_tests;
  // Kernels that did not reach init under KVM, with what happened there.
  std::vector<std::pair<size_t, std::string>> kvm_failures;

  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  }

 private:
  void redraw() {
    if (!printer_.smart()) return;
    std::string line = fmt::format("[{}/{} done, {} running]", finished_, kernels_.size(), running_);
    for (const auto& [job, what] : current_) line += fmt::format(" {}: {};", kernels_[job].id, what);
    printer_.status(line);
  }

  RunResults& run_;
  const std::vector<ResolvedKernel>& kernels_;
  fs::path out_;
  StatusPrinter& printer_;
  std::vector<size_t> map_;
  bool retry_kvm_ = false;
  std::map<size_t, std::string> current_;
  size_t running_ = 0, finished_ = 0;
  std::chrono::steady_clock::time_point started_at_;
};

}  // namespace

int run_command(const RunOptions& options) {
  StatusPrinter printer;
  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "kgrid: error: %s\n", message.c_str());
    return 2;
  };

  auto accel_request = host::accel_request(options.accel, options.no_kvm, std::getenv);
  if (!accel_request) return fail(accel_request.error().message);

  // 1. Which kernels.
  auto sources = kernel_sources(options.kernels, options.grid,
                                "--kernel FILE, --kernels DIR, --grid FILE or debian:<suite>/<package>");
  if (!sources) return fail(sources.error().message);
  const std::vector<std::string>& names = *sources;
  printer.print(fmt::format("kgrid: resolving {} kernel source(s)", names.size()));
  auto kernels = resolve_kernels(names, ResolveOptions{options.mirror});
  if (!kernels) return fail(kernels.error().message);
  // A kernel whose config cannot run kgrid's harness is not booted: its
  // verdict is BOOT_FAIL with the reason (kernels/image/preflight.h).
  std::vector<std::pair<ResolvedKernel, std::string>> predicted_boot_fail;
  std::erase_if(*kernels, [&](const ResolvedKernel& k) {
    auto pre = kernels::preflight(k.image, k.config);
    if (!pre || pre->boot_fail_reason.empty()) return false;
    predicted_boot_fail.emplace_back(k, pre->boot_fail_reason);
    return true;
  });

  std::error_code ec;
  fs::create_directories(options.out / "kernels", ec);
  if (ec) return fail("cannot create " + (options.out / "kernels").string() + ": " + ec.message());

  // 2. The initramfs: one cached base, one small overlay per kernel.
  fs::path guest_dir = options.guest_dir.empty() ? kgrid_exe_dir() : options.guest_dir;
  auto tests = load_tests(options.plan);  // --spec files, or the built-in tests
  if (!tests) return fail(tests.error().message);
  const plan::Plan& plan = tests->plan;
  InitramfsBuilder builder(guest_dir);
  for (const SpecFile& f : tests->files) builder.add_file(f.host, f.guest);
  if (auto st = builder.check(); !st) return fail(st.error().message);

  // Per-kernel drivers (--build, --artifacts): one test per artifact.
  auto drivers = per_kernel_driver_tests(*kernels, options.drivers, options.out, options.plan.test_timeout_s, printer);
  if (!drivers) return fail(drivers.error().message);

  // What QEMU boots: with --boot auto/pvh, each bzImage's payload is
  // decompressed once on the host into a cached vmlinux (kernels/image/vmlinux.h),
  // several kernels at once.
  auto boot_mode = kernels::parse_boot_mode(options.boot);
  if (!boot_mode) return fail(boot_mode.error().message);
  std::vector<fs::path> images;
  for (const auto& k : *kernels) images.push_back(k.image);
  auto boots = kernels::choose_boot_images(images, *boot_mode, options.jobs);

  // The accelerator, per guest architecture: KVM only once it has proved
  // itself on this host (vm/accel.h); the probe boots the first kernel.
  std::map<std::string, AccelDecision> accel;
  std::optional<TempDir> probe_dir;
  for (size_t i = 0; i < kernels->size(); ++i) {
    const ResolvedKernel& k = (*kernels)[i];
    if (accel.count(k.arch)) continue;
    AccelSetup setup;
    setup.request = *accel_request;
    setup.guest_arch = k.arch;
    setup.probe_kernel = [&, i]() -> Result<ProbeKernel> {
      if (!boots[i]) return boots[i].error();
      auto tmp = TempDir::create("kgrid-kvm-probe-");
      if (!tmp) return tmp.error();
      probe_dir.emplace(std::move(*tmp));
      return probe_kernel_for(builder, k, boots[i]->path, probe_dir->path());
    };
    auto decision = choose_accel(setup);
    if (!decision) return fail(decision.error().message);
    if (decision->interrupted) {
      printer.print("kgrid: interrupted while probing KVM; nothing was run");
      return 130;
    }
    if (decision->fell_back) printer.print("kgrid: " + decision->reason);
    if (decision->probed && decision->kvm)
      printer.print(fmt::format("kgrid: KVM: {} (the probe took {:.2f}s)", decision->reason, decision->probe_s));
    accel[k.arch] = *decision;
  }
  probe_dir.reset();

  RunResults run;
  run.kgrid_version = "0.1.0";
  run.started_at = results::utc_now_iso8601();
  if (!kernels->empty()) {
    const AccelDecision& first = accel[kernels->front().arch];
    run.accel = first.kvm ? "kvm" : "tcg";
    run.accel_reason = first.reason;
  }
  std::vector<VmJob> jobs;
  std::vector<QemuOptions> qemu_options;  // per job, to boot it again under TCG
  for (const auto& k : *kernels) {
    KernelResult r;
    r.id = k.id;
    r.version = k.release;
    r.arch = k.arch;
    r.image = k.image.string();
    r.source = k.source;
    r.reason = "not run yet";
    r.accel = accel[k.arch].kvm ? "kvm" : "tcg";
    run.kernels.push_back(r);

    fs::path dir = options.out / "kernels" / k.id;
    fs::create_directories(dir, ec);
    const KernelDriverTests& driver_tests = (*drivers)[run.kernels.size() - 1];
    run.kernels.back().builds = driver_tests.builds;
    const plan::Plan kernel_plan = plan_with_config(with_driver_tests(plan, driver_tests), k);
    auto initrd = builder.build_for(k, kernel_plan, dir / "initrd.img", overlay_files(driver_tests));
    if (!initrd) return fail(k.id + ": " + initrd.error().message);
    const ArchSpec* spec = find_arch(k.arch);
    if (!spec) return fail(k.id + ": no QEMU support for architecture " + k.arch);
    const auto& boot = boots[run.kernels.size() - 1];
    if (!boot) return fail(k.id + ": " + boot.error().message);
    if (boot->extracted)
      printer.print(fmt::format("kgrid: {}: vmlinux decompressed for PVH boot in {:.1f}s (cached)", k.id, boot->extract_s));
    if (!boot->why.empty()) printer.print(fmt::format("kgrid: {}: booting {}: {}", k.id, boot->mode, boot->why));
    run.kernels.back().boot_mode = boot->mode;

    QemuOptions q;
    q.arch = k.arch;
    q.kernel = fs::absolute(boot->path).string();
    q.initrd = fs::absolute(dir / "initrd.img").string();
    q.append = options.append;
    q.nonce = make_nonce();
    q.memory_mb = options.memory_mb;
    q.cpu = options.cpu;
    q.kvm = accel[k.arch].kvm;
    q.quiet = options.quiet_kernel;
    VmJob job;
    job.id = k.id;
    job.argv = qemu_argv(q, *spec);
    job.nonce = q.nonce;
    job.planned_tests = kernel_plan.tests.size();
    job.console_log = dir / "console.log";
    job.deadlines = options.deadlines;
    if (auto st = write_vm_files(dir, job); !st) return fail(st.error().message);
    jobs.push_back(std::move(job));
    qemu_options.push_back(q);
  }
  for (const auto& [k, reason] : predicted_boot_fail) {  // after the booted ones: job i is run.kernels[i]
    KernelResult r;
    r.id = k.id;
    r.version = k.release;
    r.arch = k.arch;
    r.image = k.image.string();
    r.source = k.source;
    r.verdict = Verdict::BootFail;
    r.reason = reason;
    run.kernels.push_back(r);
    printer.print(fmt::format("kgrid: {}: not booted: {}", k.id, reason));
  }
  if (auto st = results::write_results_json(options.out, run); !st) return fail(st.error().message);

  // 3. Boot them all.
  std::string accel_text = kernels->empty() ? "TCG" : accel_label(accel[kernels->front().arch]);
  printer.print(fmt::format("kgrid: {} kernel(s), {} at a time, {}", jobs.size(),
                            std::min(options.jobs, jobs.size()), accel_text));
  SweepObserver observer(run, *kernels, options.out, printer);
  observer.driver_tests = *drivers;
  // The slowest kernels of earlier sweeps first (vm/durations.h).
  auto cache = kernels::cache_dir();
  fs::path durations_file = cache ? *cache / "durations.tsv" : fs::path();
  std::vector<std::string> keys;
  std::vector<size_t> all;
  for (size_t i = 0; i < jobs.size(); ++i) {
    keys.push_back(duration_key(run.kernels[i].accel, jobs[i].id));
    all.push_back(i);
  }
  Durations known = durations_file.empty() ? Durations{} : read_durations(durations_file);
  observer.set_pass(all, /*retry_kvm=*/true);
  PoolResult pool = run_pool(jobs, options.jobs, observer, longest_first(keys, known));

  // Kernels that never reached init under KVM run again under TCG.
  if (!pool.interrupted && !observer.kvm_failures.empty()) {
    std::vector<VmJob> again;
    std::vector<size_t> map;
    for (const auto& [i, what] : observer.kvm_failures) {
      KernelResult& r = run.kernels[i];
      printer.print(fmt::format("kgrid: {}: did not reach init under KVM ({}); running it again under TCG", r.id, what));
      QemuOptions q = qemu_options[i];
      q.kvm = false;
      q.nonce = make_nonce();
      VmJob job = jobs[i];
      job.argv = qemu_argv(q, *find_arch(q.arch));
      job.nonce = q.nonce;
      if (auto st = write_vm_files(options.out / "kernels" / r.id, job); !st)
        printer.print("kgrid: warning: " + st.error().message);
      r.accel = "tcg";
      r.accel_note = "under KVM it did not reach init (" + what + "); this verdict is TCG's";
      keys[i] = duration_key("tcg", r.id);
      again.push_back(std::move(job));
      map.push_back(i);
    }
    observer.kvm_failures.clear();
    observer.set_pass(map, /*retry_kvm=*/false);
    pool = run_pool(again, options.jobs, observer);
  }
  printer.finish();
  if (!pool.interrupted && !durations_file.empty()) {
    Durations fresh;
    for (size_t i = 0; i < jobs.size(); ++i)
      if (run.kernels[i].duration_s > 0) fresh[keys[i]] = run.kernels[i].duration_s;
    if (auto st = update_durations(durations_file, fresh); !st)
      printer.print("kgrid: warning: cannot record VM times: " + st.error().message);
  }

  // 4. Report.
  run.interrupted = pool.interrupted;
  run.wall_s = observer.elapsed();
  auto st = results::write_results_json(options.out, run);
  auto st2 = results::write_summary(options.out, run);
  if (!st || !st2) return fail(!st ? st.error().message : st2.error().message);
  if (auto reports = results::regenerate_reports(options.out); !reports) printer.print("kgrid: warning: " + reports.error().message);

  size_t passed = 0;
  for (const auto& k : run.kernels) passed += k.verdict == Verdict::Pass;
  printer.print(fmt::format("kgrid: {}/{} kernel(s) passed in {:.1f}s; results in {}", passed,
                            run.kernels.size(), run.wall_s, options.out.string()));
  if (pool.interrupted) {
    printer.print("kgrid: interrupted by " + pool.signal_name + "; partial results written");
    return 130;
  }
  return passed == run.kernels.size() ? 0 : 1;
}

}  // namespace kgrid::host
