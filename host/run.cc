#include "host/run.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <random>
#include <system_error>

#include "host/grid.h"
#include "host/kernel_set.h"
#include "host/qemu.h"
#include "host/status.h"
#include "host/initramfs_build.h"
#include "results/results.h"

namespace kgrid::host {
namespace {

namespace fs = std::filesystem;
using results::KernelResult;
using results::RunResults;
using results::Verdict;

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string make_nonce() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  return fmt::format("{:016x}", dist(rd));
}

fs::path self_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

// Watches the pool and keeps results.json current after every kernel, so an
// interrupted or killed run still leaves valid results.
class SweepObserver : public RunObserver {
 public:
  SweepObserver(RunResults& run, const std::vector<ResolvedKernel>& kernels, const fs::path& out,
                StatusPrinter& printer)
      : run_(run), kernels_(kernels), out_(out), printer_(printer), done_(kernels.size(), false),
        started_at_(std::chrono::steady_clock::now()) {}

  void started(size_t job) override {
    ++running_;
    current_[job] = "booting";
    redraw();
  }

  void progress(size_t job, const std::string& what) override {
    current_[job] = what;
    redraw();
  }

  void finished(size_t job, const VmOutcome& o) override {
    if (current_.erase(job)) --running_;
    const ResolvedKernel& k = kernels_[job];
    KernelResult& r = run_.kernels[job];
    r.verdict = o.judgement.verdict;
    r.reason = o.judgement.reason;
    r.tests = o.judgement.tests;
    r.warnings = o.judgement.warnings;
    r.duration_s = o.duration_s;
    r.boot_s = o.boot_s;
    done_[job] = true;
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
  std::vector<bool> done_;
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

  // 1. Which kernels.
  std::vector<std::string> names = options.kernels;
  if (!options.grid.empty()) {
    auto grid = load_grid(options.grid);
    if (!grid) return fail(grid.error().message);
    for (const auto& ref : *grid) names.push_back(ref.value);
  }
  if (names.empty()) return fail("no kernels given (use --kernel FILE, --kernels DIR, --grid FILE or debian:<suite>/<package>)");
  printer.print(fmt::format("kgrid: resolving {} kernel source(s)", names.size()));
  auto kernels = resolve_kernels(names, ResolveOptions{options.mirror});
  if (!kernels) return fail(kernels.error().message);

  bool kvm = !options.no_kvm && kvm_usable();
  std::error_code ec;
  fs::create_directories(options.out / "kernels", ec);
  if (ec) return fail("cannot create " + (options.out / "kernels").string() + ": " + ec.message());

  // 2. The initramfs: one cached base, one small overlay per kernel.
  fs::path guest_dir = options.guest_dir.empty() ? self_dir() : options.guest_dir;
  plan::Plan plan = default_plan(options.plan);
  InitramfsBuilder builder(guest_dir);
  if (auto st = builder.check(); !st) return fail(st.error().message);

  RunResults run;
  run.kgrid_version = "0.1.0";
  run.started_at = iso_now();
  run.accel = kvm ? "kvm" : "tcg";
  std::vector<VmJob> jobs;
  for (const auto& k : *kernels) {
    KernelResult r;
    r.id = k.id;
    r.version = k.release;
    r.arch = k.arch;
    r.image = k.image.string();
    r.source = k.source;
    r.reason = "not run yet";
    run.kernels.push_back(r);

    fs::path dir = options.out / "kernels" / k.id;
    fs::create_directories(dir, ec);
    auto initrd = builder.build_for(k, plan, dir / "initrd.img");
    if (!initrd) return fail(k.id + ": " + initrd.error().message);
    const ArchSpec* spec = find_arch(k.arch);
    if (!spec) return fail(k.id + ": no QEMU support for architecture " + k.arch);

    QemuOptions q;
    q.arch = k.arch;
    q.kernel = fs::absolute(k.image).string();
    q.initrd = fs::absolute(dir / "initrd.img").string();
    q.append = options.append;
    q.nonce = make_nonce();
    q.memory_mb = options.memory_mb;
    q.kvm = kvm;
    q.quiet = options.quiet_kernel;
    VmJob job;
    job.id = k.id;
    job.argv = qemu_argv(q, *spec);
    job.nonce = q.nonce;
    job.planned_tests = plan.tests.size();
    job.console_log = dir / "console.log";
    job.deadlines = options.deadlines;
    if (auto st = results::write_file_atomic(dir / "qemu.cmd", shell_quote(job.argv) + "\n"); !st)
      return fail(st.error().message);
    jobs.push_back(std::move(job));
  }
  if (auto st = results::write_results_json(options.out, run); !st) return fail(st.error().message);

  // 3. Boot them all.
  printer.print(fmt::format("kgrid: {} kernel(s), {} at a time, {}", jobs.size(),
                            std::min(options.jobs, jobs.size()), kvm ? "KVM" : "TCG (no usable /dev/kvm)"));
  SweepObserver observer(run, *kernels, options.out, printer);
  PoolResult pool = run_pool(jobs, options.jobs, observer);
  printer.finish();

  // 4. Report.
  run.interrupted = pool.interrupted;
  run.wall_s = observer.elapsed();
  auto st = results::write_results_json(options.out, run);
  auto st2 = results::write_summary(options.out, run);
  if (!st || !st2) return fail(!st ? st.error().message : st2.error().message);

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
