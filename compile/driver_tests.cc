#include "compile/driver_tests.h"

#include <algorithm>
#include <system_error>

#include "vm/verdict.h"

namespace kgrid::host {

namespace fs = std::filesystem;
using results::Verdict;

plan::Test artifact_test(const std::string& name, const std::string& driver, const std::string& guest_path,
                         int timeout_s, const std::string& fault) {
  plan::Test t;
  t.name = name;
  t.driver = driver;
  t.probe = {"/kgrid/bin/kgrid-probe", "--driver", driver, driver == "kmod" ? "--module" : "--object", guest_path};
  if (!fault.empty()) t.probe.insert(t.probe.end(), {"--fault", fault});
  t.ready = "kgrid-probe: ready";
  t.gen = {"/kgrid/bin/kgrid-gen"};
  t.timeout_s = timeout_s;
  // The legacy BPF object needs the ring buffer (5.8) but no BTF; the module needs neither.
  if (driver == "bpf") {
    t.requires_ = {"ringbuf"};
    t.min_kernel = "5.8";
  }
  t.expect_exit = 0;
  t.expect_truth = true;
  t.metrics = {{"drops", "==", 0}};
  return t;
}

results::BuildResult build_result(const BuildOutcome& o) {
  results::BuildResult b;
  b.driver = o.driver;
  b.compiler = o.compiler;
  b.verdict = o.verdict == BuildVerdict::Built   ? Verdict::Pass
            : o.verdict == BuildVerdict::Skip    ? Verdict::Skip
            : o.verdict == BuildVerdict::Timeout ? Verdict::Timeout
                                                 : Verdict::Fail;
  b.reason = o.verdict == BuildVerdict::BuildFail ? "BUILD_FAIL: " + o.reason : o.reason;
  b.metrics["duration_ms"] = static_cast<double>(static_cast<long long>(o.duration_s * 1000));
  if (o.cached) b.metrics["cached"] = 1;
  b.artifact = o.artifact.string();
  b.log = o.log.string();
  return b;
}

namespace {

results::TestResult host_test(const std::string& name, const std::string& driver, const std::string& compiler,
                              Verdict v, const std::string& reason) {
  results::TestResult t;
  t.name = name;
  t.driver = driver;
  t.compiler = compiler;
  t.verdict = v;
  t.reason = reason;
  return t;
}

}  // namespace

KernelDriverTests tests_from_builds(const std::vector<BuildOutcome>& outcomes, int timeout_s) {
  KernelDriverTests k;
  for (const BuildOutcome& o : outcomes) {
    k.builds.push_back(build_result(o));
    if (o.external()) k.external_driver = o.driver;
    if (o.verdict == BuildVerdict::Built && o.external()) {
      std::string guest = "/kgrid/drivers/" + o.driver + "-" + o.compiler + (o.kind == "kmod" ? ".ko" : ".o");
      k.files.push_back({o.artifact, guest});
      k.external_artifacts[o.compiler] = guest;
      k.external_default_tests.push_back(artifact_test(o.test_name(), o.kind, guest, timeout_s));
      k.external_default_tests.back().driver = o.driver;
      k.compilers[o.test_name()] = o.compiler;
    } else if (o.verdict == BuildVerdict::Built) {
      std::string guest = "/kgrid/drivers/" + o.driver + "-" + o.compiler + o.artifact.extension().string();
      k.tests.push_back(artifact_test(o.test_name(), o.driver, guest, timeout_s));
      k.files.push_back({o.artifact, guest});
      k.compilers[o.test_name()] = o.compiler;
    } else {
      Verdict v = o.verdict == BuildVerdict::Skip ? Verdict::Skip
                : o.verdict == BuildVerdict::Timeout ? Verdict::Timeout
                                                     : Verdict::Fail;
      k.host_tests.push_back(host_test(o.test_name(), o.driver, o.compiler, v,
                                       v == Verdict::Fail ? "BUILD_FAIL: " + o.reason : o.reason));
    }
  }
  return k;
}

KernelDriverTests tests_from_artifacts(const fs::path& dir, const ResolvedKernel& kernel, int timeout_s) {
  KernelDriverTests k;
  std::error_code ec;
  fs::path kdir;
  for (const std::string& name : {kernel.release, kernel.id})
    if (kdir.empty() && fs::is_directory(dir / name, ec)) kdir = dir / name;
  std::vector<fs::path> files;
  if (!kdir.empty()) {
    for (const auto& e : fs::directory_iterator(kdir, ec)) {
      std::string ext = e.path().extension().string();
      if ((ext == ".ko" || ext == ".o") && e.is_regular_file(ec)) files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::string driver = f.extension() == ".ko" ? "kmod" : "bpf";
    std::string stem = f.stem().string();
    std::string label = stem.rfind(driver + "-", 0) == 0 ? stem.substr(driver.size() + 1) : stem;
    std::string guest = "/kgrid/drivers/" + driver + "-" + label + f.extension().string();
    k.tests.push_back(artifact_test(driver + "/" + label, driver, guest, timeout_s));
    k.tests.back().name = driver + "/" + label;
    k.files.push_back({fs::absolute(f, ec), guest});
  }
  if (files.empty())
    k.host_tests.push_back(host_test("artifacts", "", "", Verdict::Skip, "no artifact for " + kernel.release));
  return k;
}

void merge_host_tests(results::KernelResult& kernel, const std::vector<results::TestResult>& host_tests) {
  if (host_tests.empty()) return;
  kernel.tests.insert(kernel.tests.end(), host_tests.begin(), host_tests.end());
  const Verdict worst = combine_tests(host_tests);
  if (worst != Verdict::Fail && worst != Verdict::Timeout) return;
  if (kernel.verdict >= worst) return;
  for (const auto& t : host_tests) {
    if (t.verdict != worst) continue;
    kernel.verdict = worst;
    kernel.reason = t.name + ": " + t.reason;
    return;
  }
}

}  // namespace kgrid::host

namespace kgrid::host {

void merge_driver_results(results::KernelResult& kernel, const KernelDriverTests& tests) {
  for (auto& t : kernel.tests) {
    if (!t.compiler.empty()) continue;
    if (auto it = tests.compilers.find(t.name); it != tests.compilers.end()) {
      t.compiler = it->second;
    } else if (!tests.external_driver.empty() && t.driver == tests.external_driver) {
      std::string suffix = t.name.substr(t.name.rfind('/') + 1);  // "<spec>/<compiler>"
      if (t.name.find('/') != std::string::npos && tests.external_artifacts.count(suffix)) t.compiler = suffix;
    }
  }
  merge_host_tests(kernel, tests.host_tests);
}

namespace {

bool names_driver(const plan::Test& t) {
  auto in = [](const std::vector<std::string>& argv) {
    return std::any_of(argv.begin(), argv.end(),
                       [](const std::string& a) { return a.find(kDriverPlaceholder) != std::string::npos; });
  };
  return in(t.probe) || in(t.gen);
}

void substitute(std::vector<std::string>& argv, const std::string& guest, const std::string& compiler) {
  for (std::string& a : argv) {
    for (auto [from, to] : {std::pair<std::string, std::string>{kDriverPlaceholder, guest}, {kCompilerPlaceholder, compiler}})
      for (size_t p = 0; (p = a.find(from, p)) != std::string::npos; p += to.size()) a.replace(p, from.size(), to);
  }
}

}  // namespace

plan::Plan plan_with_driver_tests(const plan::Plan& plan, const KernelDriverTests& tests) {
  plan::Plan p;
  bool any_spec = false;
  for (const plan::Test& t : plan.tests) {
    if (!names_driver(t)) {
      p.tests.push_back(t);
      continue;
    }
    any_spec = true;
    if (tests.external_driver.empty()) {
      plan::Test skipped = t;
      skipped.skip = std::string("the spec names ") + kDriverPlaceholder +
                     ", but no driver is built for it (kgrid run --driver-src DIR --build-cmd CMD)";
      p.tests.push_back(std::move(skipped));
      continue;
    }
    for (const auto& [compiler, guest] : tests.external_artifacts) {
      plan::Test e = t;
      e.name = t.name + "/" + compiler;
      e.driver = tests.external_driver;
      substitute(e.probe, guest, compiler);
      substitute(e.gen, guest, compiler);
      p.tests.push_back(std::move(e));
    }
  }
  p.tests.insert(p.tests.end(), tests.tests.begin(), tests.tests.end());
  if (!any_spec) p.tests.insert(p.tests.end(), tests.external_default_tests.begin(), tests.external_default_tests.end());
  return p;
}

}  // namespace kgrid::host
