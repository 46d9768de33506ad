#include "vm/accel_probe.h"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>

#include "vm/accel_host.h"
#include "vm/qemu.h"
#include "vm/scheduler.h"

namespace kgrid::host {
namespace {

struct OneOutcome : RunObserver {
  void started(size_t) override {}
  void finished(size_t, const VmOutcome& o) override { outcome = o; }
  VmOutcome outcome;
};

bool probe_only() {
  const char* v = std::getenv("KGRID_ACCEL_PROBE_ONLY");
  return v && *v && std::string_view(v) != "0";
}

// $KGRID_ACCEL_PROBE_TIMEOUT: for tests whose "KVM" is TCG underneath on a busy host.
double probe_timeout_s() {
  const char* v = std::getenv("KGRID_ACCEL_PROBE_TIMEOUT");
  double t = v ? std::atof(v) : 0;
  return t > 0 ? t : kProbeTimeoutS;
}

}  // namespace

Result<ProbeKernel> probe_kernel_for(InitramfsBuilder& builder, const ResolvedKernel& k,
                                     const std::filesystem::path& image, const std::filesystem::path& dir) {
  std::filesystem::path initrd = dir / "kvm-probe-initrd.img";
  if (auto c = builder.build_for(k, plan::Plan{}, initrd); !c) return make_error(k.id + ": " + c.error().message);
  return ProbeKernel{k.id, k.arch, std::filesystem::absolute(image), initrd};
}

ProbeVerdict probe_boot(const ProbeKernel& k, double timeout_s) {
  ProbeVerdict v;
  v.kernel = k.id;
  const ArchSpec* spec = find_arch(k.arch);
  if (!spec) {
    v.reason = "no QEMU support for architecture " + k.arch;
    return v;
  }
  QemuOptions q;
  q.arch = k.arch;
  q.kernel = k.image.string();
  q.initrd = k.initrd.string();
  q.nonce = make_nonce();
  q.kvm = true;  // not quiet: when it stops, the console shows where
  VmJob job;
  job.id = "kvm-probe";
  job.argv = qemu_argv(q, *spec);
  job.nonce = q.nonce;
  job.deadlines.boot_s = timeout_s;
  job.deadlines.inactivity_s = timeout_s;
  job.deadlines.run_s = timeout_s + 10;
  job.deadlines.shutdown_s = 2;
  OneOutcome observer;
  auto t0 = std::chrono::steady_clock::now();
  PoolResult pool = run_pool({job}, 1, observer);
  v.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (pool.interrupted) {
    v.interrupted = true;
    v.reason = "interrupted by " + pool.signal_name;
    return v;
  }
  const VmOutcome& o = observer.outcome;
  if (o.boot_s > 0) {
    v.usable = true;
    v.reason = fmt::format("a probe boot of {} under KVM reached init in {:.2f}s", k.id, o.boot_s);
  } else {
    v.reason = fmt::format("a probe boot of {} under KVM did not reach init ({}: {})", k.id,
                           results::verdict_name(o.judgement.verdict), o.judgement.reason);
  }
  return v;
}

Result<AccelDecision> choose_accel(const AccelSetup& setup) {
  AccelInputs in;
  in.request = setup.request;
  in.guest_arch = setup.guest_arch;
  if (setup.request.mode == AccelMode::Tcg) return decide_accel(in);
  if (probe_only()) {
    in.facts.host_arch = host_arch();
    in.facts.device = true;
  } else {
    in.facts = read_kvm_facts();
  }
  const ArchSpec* spec = find_arch(setup.guest_arch);
  AccelCacheKey key{host_boot_id(), spec ? qemu_identity(spec->qemu_binary) : ""};
  if (probe_only()) key.qemu += " probe-only";
  if (key.qemu.empty() || key.qemu == " probe-only")
    return decide_accel(in);  // no QEMU: nothing to probe; the run reports the missing binary
  in.cached = [key] { return read_accel_cache(key); };
  in.store = [key](const ProbeVerdict& v) { write_accel_cache(key, v); };
  if (setup.probe_kernel)
    in.probe = [&setup]() -> Result<ProbeVerdict> {
      auto k = setup.probe_kernel();
      if (!k) return k.error();
      return probe_boot(*k, probe_timeout_s());
    };
  return decide_accel(in);
}

}  // namespace kgrid::host
