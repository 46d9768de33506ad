#include "vm/accel.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace kgrid::host {
namespace {

constexpr int kCacheSchema = 1;

Result<AccelMode> parse_mode(std::string_view value, const std::string& where) {
  if (value == "auto") return AccelMode::Auto;
  if (value == "kvm") return AccelMode::Kvm;
  if (value == "tcg") return AccelMode::Tcg;
  return make_error(fmt::format("{}: '{}' is not an accelerator; use auto, kvm or tcg", where, value));
}

bool has(const std::vector<std::string>& v, const char* s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

Result<AccelRequest> accel_request(const std::string& flag, bool no_kvm, const Getenv& env) {
  if (!flag.empty()) {
    auto mode = parse_mode(flag, "--accel");
    if (!mode) return mode.error();
    if (no_kvm && *mode == AccelMode::Kvm) return make_error("--accel kvm and --no-kvm contradict each other");
    return AccelRequest{*mode, "--accel " + flag};
  }
  if (no_kvm) return AccelRequest{AccelMode::Tcg, "--no-kvm"};
  if (const char* v = env("KGRID_ACCEL"); v && *v) {
    auto mode = parse_mode(v, "KGRID_ACCEL");
    if (!mode) return mode.error();
    return AccelRequest{*mode, std::string("KGRID_ACCEL=") + v};
  }
  if (const char* v = env("KGRID_NO_KVM"); v && *v && std::string_view(v) != "0")
    return AccelRequest{AccelMode::Tcg, std::string("KGRID_NO_KVM=") + v};
  return AccelRequest{};
}

std::optional<std::string> kvm_refusal(const KvmFacts& f, const std::string& guest_arch) {
  if (guest_arch != f.host_arch)
    return fmt::format("KVM runs only {} guests on this {} host", f.host_arch.empty() ? "native" : f.host_arch,
                       f.host_arch.empty() ? "unknown" : f.host_arch);
  if (has(f.modules, "kvm_pvm") && !has(f.modules, "kvm_intel") && !has(f.modules, "kvm_amd"))
    return std::string("/dev/kvm is provided by kvm_pvm, which runs only PVM guest kernels");
  if (!f.device) return std::string("there is no /dev/kvm");
  if (!f.open_error.empty()) return "/dev/kvm does not open read-write (" + f.open_error + ")";
  if (f.host_arch == "x86_64" && !f.cpu_virt)
    return std::string("the CPU shows neither vmx nor svm in /proc/cpuinfo, so /dev/kvm is not hardware virtualization");
  if (!f.create_error.empty()) return "/dev/kvm cannot create a VM (" + f.create_error + ")";
  return std::nullopt;
}

std::string format_accel_cache(const AccelCacheKey& key, const ProbeVerdict& v) {
  nlohmann::json j = {{"schema", kCacheSchema}, {"boot_id", key.boot_id}, {"qemu", key.qemu},
                      {"usable", v.usable},     {"reason", v.reason},     {"seconds", v.seconds},
                      {"kernel", v.kernel}};
  return j.dump(2) + "\n";
}

std::optional<ProbeVerdict> parse_accel_cache(std::string_view text, const AccelCacheKey& key) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_number_integer() || schema->get<int>() != kCacheSchema) return std::nullopt;
  if (str("boot_id") != key.boot_id || str("qemu") != key.qemu || key.boot_id.empty()) return std::nullopt;
  auto usable = j.find("usable");
  auto seconds = j.find("seconds");
  auto reason = str("reason");
  if (usable == j.end() || !usable->is_boolean() || !reason) return std::nullopt;
  ProbeVerdict v;
  v.usable = usable->get<bool>();
  v.reason = *reason;
  if (seconds != j.end() && seconds->is_number()) v.seconds = seconds->get<double>();
  v.kernel = str("kernel").value_or("");
  return v;
}

Result<AccelDecision> decide_accel(const AccelInputs& in) {
  AccelDecision d;
  if (in.request.mode == AccelMode::Tcg) {
    d.reason = "asked for with " + in.request.source;
    return d;
  }
  const bool demanded = in.request.mode == AccelMode::Kvm;
  auto unusable = [&](const std::string& why) -> Result<AccelDecision> {
    if (demanded) return make_error(fmt::format("{}: KVM cannot be used here: {}", in.request.source, why));
    d.kvm = false;
    d.fell_back = true;
    d.cause = why;
    d.reason = "KVM unusable: " + why + "; using TCG";
    return d;
  };
  if (auto why = kvm_refusal(in.facts, in.guest_arch)) return unusable(*why);

  std::optional<ProbeVerdict> verdict = in.cached ? in.cached() : std::nullopt;
  d.from_cache = verdict.has_value();
  if (!verdict && in.probe) {
    auto probed = in.probe();
    if (probed && probed->interrupted) {
      d.interrupted = true;
      return d;
    }
    if (probed) {
      verdict = *probed;
      d.probed = true;
      d.probe_s = probed->seconds;
      if (in.store) in.store(*probed);
    } else {
      return unusable("it could not be tried (" + probed.error().message + ")");
    }
  }
  if (!verdict) return unusable("it has not proved itself on this host yet (no probe boot was possible)");
  if (!verdict->usable) return unusable(verdict->reason);
  d.kvm = true;
  d.reason = verdict->reason;
  return d;
}

std::string accel_label(const AccelDecision& d) {
  if (d.kvm) return "KVM";
  if (d.fell_back) return "TCG";  // the fallback line has said why
  return "TCG (" + d.reason + ")";
}

}  // namespace kgrid::host
