#include "cli/run_drivers.h"

#include <algorithm>

namespace kgrid::host {

namespace fs = std::filesystem;

Result<std::vector<KernelDriverTests>> per_kernel_driver_tests(const std::vector<ResolvedKernel>& kernels,
                                                               const DriverRunOptions& options, const fs::path& out,
                                                               int test_timeout_s, StatusPrinter& printer) {
  std::vector<KernelDriverTests> per_kernel(kernels.size());
  if (!options.artifacts.empty()) {
    std::error_code ec;
    if (!fs::is_directory(options.artifacts, ec))
      return make_error("--artifacts " + options.artifacts.string() + ": not a directory");
    for (size_t i = 0; i < kernels.size(); ++i)
      per_kernel[i] = tests_from_artifacts(options.artifacts, kernels[i], test_timeout_s);
  }
  if (!options.build.empty() || options.build_options.external.given()) {
    DriverBuildOptions b = options.build_options;
    b.drivers = options.build;
    auto outcomes = build_drivers(kernels, b, out, printer);
    if (!outcomes) return outcomes.error();
    for (size_t i = 0; i < kernels.size(); ++i) {
      KernelDriverTests t = tests_from_builds((*outcomes)[i], test_timeout_s);
      auto& k = per_kernel[i];
      k.tests.insert(k.tests.end(), t.tests.begin(), t.tests.end());
      k.files.insert(k.files.end(), t.files.begin(), t.files.end());
      k.host_tests.insert(k.host_tests.end(), t.host_tests.begin(), t.host_tests.end());
      k.builds.insert(k.builds.end(), t.builds.begin(), t.builds.end());
      k.compilers.insert(t.compilers.begin(), t.compilers.end());
      k.external_driver = t.external_driver;
      k.external_artifacts = t.external_artifacts;
      k.external_default_tests = t.external_default_tests;
    }
  }
  // A fault goes to the drivers that have it: verifier is BPF's, oops the module's.
  if (!options.fault.empty()) {
    for (auto& k : per_kernel)
      for (auto& t : k.tests) {
        if ((options.fault == "verifier" && t.driver != "bpf") || (options.fault == "oops" && t.driver != "kmod"))
          continue;
        if (std::find(t.probe.begin(), t.probe.end(), "--fault") == t.probe.end())
          t.probe.insert(t.probe.end(), {"--fault", options.fault});
      }
  }
  return per_kernel;
}

plan::Plan with_driver_tests(const plan::Plan& plan, const KernelDriverTests& tests) {
  return plan_with_driver_tests(plan, tests);
}

std::vector<std::pair<fs::path, std::string>> overlay_files(const KernelDriverTests& tests) {
  std::vector<std::pair<fs::path, std::string>> files;
  for (const OverlayFile& f : tests.files) files.emplace_back(f.host, f.guest);
  return files;
}

}  // namespace kgrid::host
