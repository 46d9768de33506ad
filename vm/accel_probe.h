// The accelerator for `kgrid run`, `shell`, `repro` and `doctor`: the
// decision of vm/accel.h made with this host's real facts, the verdict
// cached for this boot, and, when neither settles it, a probe boot: one
// standard kernel with kgrid's init under KVM, which must reach init (its
// BEGIN record) within a few seconds.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "common/result.h"
#include "vm/accel.h"
#include "sweep/initramfs_build.h"
#include "sweep/kernel_set.h"

namespace kgrid::host {

// A kernel to probe with: what QEMU boots (-kernel) and an initramfs whose
// init is kgrid-init.
struct ProbeKernel {
  std::string id;
  std::string arch = "x86_64";
  std::filesystem::path image;
  std::filesystem::path initrd;
};

inline constexpr double kProbeTimeoutS = 10;

// A probe kernel for `k`: `image` (what QEMU boots for it) and kgrid's
// initramfs with an empty plan, written into `dir`.
Result<ProbeKernel> probe_kernel_for(InitramfsBuilder& builder, const ResolvedKernel& k,
                                     const std::filesystem::path& image, const std::filesystem::path& dir);

// Boots `kernel` under KVM: usable once init's BEGIN record arrives.
ProbeVerdict probe_boot(const ProbeKernel& kernel, double timeout_s = kProbeTimeoutS);

struct AccelSetup {
  AccelRequest request;
  std::string guest_arch = "x86_64";
  // Makes the probe kernel when a probe is needed (lazily: building an
  // initramfs costs time); an error means none is at hand.
  std::function<Result<ProbeKernel>()> probe_kernel;
};

// $KGRID_ACCEL_PROBE_ONLY=1 ignores the host's signals and lets the probe
// boot alone decide, and $KGRID_ACCEL_PROBE_TIMEOUT=S replaces its 10 s
// limit: for testing the probe with a QEMU wrapper in $PATH.
Result<AccelDecision> choose_accel(const AccelSetup& setup);

}  // namespace kgrid::host
