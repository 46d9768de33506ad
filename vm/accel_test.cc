#include "vm/accel.h"

#include <doctest/doctest.h>

#include <map>

using namespace kgrid;
using namespace kgrid::host;

namespace {

Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

// A host where KVM is real hardware virtualization.
KvmFacts good_host() {
  KvmFacts f;
  f.host_arch = "x86_64";
  f.device = true;
  f.modules = {"kvm_intel"};
  f.cpu_virt = true;
  return f;
}

}  // namespace

TEST_CASE("the request: --accel, then --no-kvm, then KGRID_ACCEL, then KGRID_NO_KVM") {
  auto none = env_of({});
  CHECK(accel_request("", false, none)->mode == AccelMode::Auto);
  CHECK(accel_request("kvm", false, none)->mode == AccelMode::Kvm);
  CHECK(accel_request("tcg", false, none)->source == "--accel tcg");
  CHECK(accel_request("", true, none)->mode == AccelMode::Tcg);
  CHECK(accel_request("", true, none)->source == "--no-kvm");
  CHECK_FALSE(accel_request("kvm", true, none));  // contradiction
  CHECK_FALSE(accel_request("fast", false, none));

  CHECK(accel_request("", false, env_of({{"KGRID_ACCEL", "tcg"}}))->source == "KGRID_ACCEL=tcg");
  CHECK(accel_request("", false, env_of({{"KGRID_ACCEL", "kvm"}, {"KGRID_NO_KVM", "1"}}))->mode == AccelMode::Kvm);
  auto bad = accel_request("", false, env_of({{"KGRID_ACCEL", "hvf"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("KGRID_ACCEL") != std::string::npos);
  CHECK(accel_request("", false, env_of({{"KGRID_NO_KVM", "1"}}))->mode == AccelMode::Tcg);
  CHECK(accel_request("", false, env_of({{"KGRID_NO_KVM", "0"}}))->mode == AccelMode::Auto);
  CHECK(accel_request("", false, env_of({{"KGRID_NO_KVM", ""}}))->mode == AccelMode::Auto);
  // The flag beats the environment.
  CHECK(accel_request("auto", false, env_of({{"KGRID_NO_KVM", "1"}}))->mode == AccelMode::Auto);
}

TEST_CASE("each known signal against KVM, and none on a good host") {
  CHECK_FALSE(kvm_refusal(good_host(), "x86_64"));

  KvmFacts pvm = good_host();
  pvm.modules = {"kvm_pvm"};
  pvm.cpu_virt = false;
  auto why = kvm_refusal(pvm, "x86_64");
  REQUIRE(why);
  CHECK(*why == "/dev/kvm is provided by kvm_pvm, which runs only PVM guest kernels");

  KvmFacts both = good_host();
  both.modules = {"kvm_intel", "kvm_pvm"};  // PVM beside real VMX: the device is VMX's
  CHECK_FALSE(kvm_refusal(both, "x86_64"));

  KvmFacts none = good_host();
  none.device = false;
  CHECK(kvm_refusal(none, "x86_64")->find("no /dev/kvm") != std::string::npos);

  KvmFacts denied = good_host();
  denied.open_error = "Permission denied";
  CHECK(kvm_refusal(denied, "x86_64")->find("Permission denied") != std::string::npos);

  KvmFacts novirt = good_host();
  novirt.modules.clear();
  novirt.cpu_virt = false;
  CHECK(kvm_refusal(novirt, "x86_64")->find("vmx nor svm") != std::string::npos);

  KvmFacts nocreate = good_host();
  nocreate.create_error = "KVM_CREATE_VM: Device or resource busy";
  CHECK(kvm_refusal(nocreate, "x86_64")->find("cannot create a VM") != std::string::npos);

  CHECK(kvm_refusal(good_host(), "arm64")->find("only x86_64 guests") != std::string::npos);
}

TEST_CASE("the cached probe verdict: per boot id and QEMU, garbage ignored") {
  AccelCacheKey key{"b0075e1d-0000", "/usr/bin/qemu-system-x86_64 123 456"};
  ProbeVerdict v{true, "a probe boot of k reached init in 0.41s", 0.9, "k"};
  std::string text = format_accel_cache(key, v);
  auto back = parse_accel_cache(text, key);
  REQUIRE(back);
  CHECK(back->usable);
  CHECK(back->reason == v.reason);
  CHECK(back->seconds == doctest::Approx(0.9));
  CHECK(back->kernel == "k");

  CHECK_FALSE(parse_accel_cache(text, AccelCacheKey{"another-boot", key.qemu}));  // stale: the host rebooted
  CHECK_FALSE(parse_accel_cache(text, AccelCacheKey{key.boot_id, "/opt/qemu 1 2"}));  // another QEMU
  CHECK_FALSE(parse_accel_cache(text, AccelCacheKey{"", ""}));
  CHECK_FALSE(parse_accel_cache("", key));
  CHECK_FALSE(parse_accel_cache("{not json", key));
  CHECK_FALSE(parse_accel_cache("[1,2]", key));
  CHECK_FALSE(parse_accel_cache(R"({"schema": 1, "boot_id": "b0075e1d-0000"})", key));
  std::string other_schema = text;
  other_schema.replace(other_schema.find("\"schema\": 1"), 11, "\"schema\": 9");
  CHECK_FALSE(parse_accel_cache(other_schema, key));
}

TEST_CASE("auto falls back with one reason; kvm demanded on such a host is an error") {
  AccelInputs in;
  in.facts = good_host();
  in.facts.modules = {"kvm_pvm"};
  int probes = 0;
  in.probe = [&]() -> Result<ProbeVerdict> { ++probes; return ProbeVerdict{true, "booted", 1, "k"}; };
  auto d = decide_accel(in);
  REQUIRE(d);
  CHECK_FALSE(d->kvm);
  CHECK(d->fell_back);
  CHECK(d->reason == "KVM unusable: /dev/kvm is provided by kvm_pvm, which runs only PVM guest kernels; using TCG");
  CHECK(d->cause == "/dev/kvm is provided by kvm_pvm, which runs only PVM guest kernels");
  CHECK(accel_label(*d) == "TCG");
  CHECK(probes == 0);  // a known signal costs no probe boot

  in.request = AccelRequest{AccelMode::Kvm, "--accel kvm"};
  auto demanded = decide_accel(in);
  REQUIRE_FALSE(demanded);
  CHECK(demanded.error().message == "--accel kvm: KVM cannot be used here: /dev/kvm is provided by kvm_pvm, which runs only PVM guest kernels");

  in.request = AccelRequest{AccelMode::Tcg, "--no-kvm"};
  auto tcg = decide_accel(in);
  REQUIRE(tcg);
  CHECK_FALSE(tcg->kvm);
  CHECK_FALSE(tcg->fell_back);
  CHECK(accel_label(*tcg) == "TCG (asked for with --no-kvm)");
}

TEST_CASE("without a signal the probe boot decides, once, and its verdict is stored") {
  AccelInputs in;
  in.facts = good_host();
  std::optional<ProbeVerdict> stored;
  int probes = 0;
  in.cached = [&] { return stored; };
  in.store = [&](const ProbeVerdict& v) { stored = v; };
  in.probe = [&]() -> Result<ProbeVerdict> {
    ++probes;
    return ProbeVerdict{false, "a probe boot of k under KVM did not reach init (BOOT_FAIL: ...)", 10, "k"};
  };
  auto first = decide_accel(in);
  REQUIRE(first);
  CHECK_FALSE(first->kvm);
  CHECK(first->probed);
  CHECK(first->reason.find("did not reach init") != std::string::npos);
  REQUIRE(stored);
  auto second = decide_accel(in);  // from the cache now
  REQUIRE(second);
  CHECK_FALSE(second->kvm);
  CHECK_FALSE(second->probed);
  CHECK(second->from_cache);
  CHECK_FALSE(first->from_cache);
  CHECK(probes == 1);

  stored = ProbeVerdict{true, "a probe boot of k under KVM reached init in 0.40s", 0.8, "k"};
  auto good = decide_accel(in);
  REQUIRE(good);
  CHECK(good->kvm);
  CHECK(accel_label(*good) == "KVM");
  CHECK(probes == 1);

  in.request = AccelRequest{AccelMode::Kvm, "--accel kvm"};
  stored->usable = false;
  CHECK_FALSE(decide_accel(in));  // a failed probe: --accel kvm is refused
}

TEST_CASE("no probe possible, or an interrupted one, is not a KVM verdict") {
  AccelInputs in;
  in.facts = good_host();
  in.probe = []() -> Result<ProbeVerdict> { return make_error("no kernel at hand"); };
  auto d = decide_accel(in);
  REQUIRE(d);
  CHECK_FALSE(d->kvm);
  CHECK(d->reason.find("no kernel at hand") != std::string::npos);

  bool stored = false;
  in.store = [&](const ProbeVerdict&) { stored = true; };
  in.probe = []() -> Result<ProbeVerdict> {
    ProbeVerdict v;
    v.interrupted = true;
    return v;
  };
  auto stopped = decide_accel(in);
  REQUIRE(stopped);
  CHECK(stopped->interrupted);
  CHECK_FALSE(stored);  // nothing learned, nothing cached

  in.probe = nullptr;
  auto unprobed = decide_accel(in);
  REQUIRE(unprobed);
  CHECK_FALSE(unprobed->kvm);
}
