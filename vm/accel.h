// Which accelerator QEMU gets. KVM is trusted only after it has proved
// itself on this host: known signals first (no /dev/kvm, a device that does
// not open, kvm_pvm, no vmx/svm, a guest of another architecture), then a
// real probe boot of a standard kernel under KVM, whose verdict is cached
// per host boot. Everything else runs under TCG, and says why.
//
// The policy here is pure: host facts, the cache and the probe come in as
// values and callbacks (vm/accel_host.h reads the real ones), so every
// signal and the cache are tested without a VM.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::host {

enum class AccelMode { Auto, Kvm, Tcg };

// What the user asked for, and where it came from ("--accel tcg",
// "KGRID_NO_KVM=1"; empty for the default, auto).
struct AccelRequest {
  AccelMode mode = AccelMode::Auto;
  std::string source;
};

using Getenv = std::function<const char*(const char*)>;

// `--accel` (auto|kvm|tcg; empty: not given), then `--no-kvm`, then
// $KGRID_ACCEL, then $KGRID_NO_KVM (set, not "0": tcg). Bad values are errors.
Result<AccelRequest> accel_request(const std::string& flag, bool no_kvm, const Getenv& env);

// What this host shows about KVM, read cheaply without starting a VM.
struct KvmFacts {
  std::string host_arch;                 // kgrid's name: x86_64, arm64
  bool device = false;                   // /dev/kvm exists
  std::string open_error;                // why it did not open read-write; empty: it did
  std::vector<std::string> modules;      // loaded: kvm_intel, kvm_amd, kvm_pvm
  bool cpu_virt = true;                  // x86: vmx or svm in /proc/cpuinfo
  std::string create_error;              // KVM_CREATE_VM/VCPU failed: why; empty: they worked (or not tried)
};

// Why KVM cannot run a `guest_arch` kernel here, from the facts alone;
// nullopt when nothing speaks against it (then a probe boot decides).
std::optional<std::string> kvm_refusal(const KvmFacts& facts, const std::string& guest_arch);

// What a probe boot under KVM showed.
struct ProbeVerdict {
  bool usable = false;
  std::string reason;   // usable: what booted and how fast; else why not
  double seconds = 0;   // the probe's own time
  std::string kernel;   // the kernel it booted
  bool interrupted = false;  // Ctrl-C or SIGTERM during the probe: no verdict
};

// The probe verdict is kept per host boot (the kernel's boot_id) and QEMU
// binary (its path, size and mtime): a new boot or a new QEMU probes again.
struct AccelCacheKey {
  std::string boot_id;
  std::string qemu;
};
std::string format_accel_cache(const AccelCacheKey& key, const ProbeVerdict& verdict);
// nullopt for garbage, another schema, another boot or another QEMU.
std::optional<ProbeVerdict> parse_accel_cache(std::string_view text, const AccelCacheKey& key);

struct AccelDecision {
  bool kvm = false;
  // Why this accelerator: for TCG after auto, the one line kgrid prints
  // ("KVM unusable: ...; using TCG"); for KVM, how it proved itself.
  std::string reason;
  bool fell_back = false;   // auto chose TCG: say so once
  std::string cause;        // when KVM is unusable: just why ("/dev/kvm is provided by kvm_pvm, ...")
  bool probed = false;      // a probe boot ran now
  bool from_cache = false;  // the probe verdict of an earlier run in this host boot decided
  double probe_s = 0;
  bool interrupted = false; // the probe was interrupted: stop, nothing was decided
};

struct AccelInputs {
  AccelRequest request;
  std::string guest_arch = "x86_64";
  KvmFacts facts;
  // The cached probe verdict for this boot and QEMU, if any.
  std::function<std::optional<ProbeVerdict>()> cached;
  // Boots a standard kernel under KVM. An error means no probe could be
  // made (for example no kernel at hand), which is not a verdict.
  std::function<Result<ProbeVerdict>()> probe;
  std::function<void(const ProbeVerdict&)> store;
};

// The decision. An error only when KVM was demanded (--accel kvm) and
// cannot be used, with the reason; auto never fails.
Result<AccelDecision> decide_accel(const AccelInputs& in);

// For the start line: "KVM", "TCG (asked for with --accel tcg)", or "TCG"
// after a fallback, whose own line says why.
std::string accel_label(const AccelDecision& d);

}  // namespace kgrid::host
