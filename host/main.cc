// kgrid: boots many kernels with a small initramfs and tells, truthfully,
// whether a driver loads and sees the right events on each.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "host/kernels_cmd.h"
#include "host/run.h"

namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kgrid: a fast, truthful kernel test grid for eBPF probes and kernel modules"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);

  // kgrid run
  kgrid::host::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Boot every kernel with kgrid's initramfs, run the tests, write results");
  run_cmd->add_option("--kernel,-k", run.kernels, "A kernel image (bzImage), a directory of images, or debian:<suite>/<package>; repeatable");
  run_cmd->add_option("kernels", run.kernels, "More kernels, as for --kernel");
  run_cmd->add_option("--kernels", run.kernels, "A directory of kernel images (same as --kernel DIR)");
  run_cmd->add_option("--grid,-g", run.grid, "A grid file (TOML) listing kernels, e.g. kernels/default.toml");
  run_cmd->add_option("--out,-o", run.out, "Output directory")->capture_default_str();
  run_cmd->add_option("-j,--jobs", run.jobs, "Parallel VMs (default: number of cores)");
  run_cmd->add_option("--append", run.append, "Extra kernel command line");
  run_cmd->add_option("--memory", run.memory_mb, "Guest memory in MiB")->capture_default_str();
  run_cmd->add_flag("--no-kvm", run.no_kvm, "Use TCG even when /dev/kvm is usable");
  run_cmd->add_flag("--quiet-kernel", run.quiet_kernel, "Boot with 'quiet' (less console output)");
  run_cmd->add_option("--mirror", run.mirror, "Debian mirror URL (default: from apt sources, or $KGRID_MIRROR)");
  run_cmd->add_option("--guest-dir", run.guest_dir, "Directory with kgrid-init, kgrid-testrunner, kgrid-probe, kgrid-gen");
  run_cmd->add_option("--test-timeout", run.plan.test_timeout_s, "Per-test timeout in seconds")->capture_default_str();
  run_cmd->add_option("--boot-timeout", run.deadlines.boot_s, "Seconds until init must speak")->capture_default_str();
  run_cmd->add_option("--probe-fault", run.plan.probe_fault,
                      "Run a deliberately broken reference probe, to check the harness: nocapture or verifier")
      ->check(CLI::IsMember({"nocapture", "verifier"}));

  // kgrid kernels ...
  kgrid::host::KernelsOptions kopts;
  CLI::App* kernels_cmd = app.add_subcommand("kernels", "Get and inspect kernels");
  kernels_cmd->require_subcommand(1);
  CLI::App* fetch = kernels_cmd->add_subcommand("fetch", "Download Debian kernels into the cache and print their paths");
  fetch->add_option("selectors", kopts.selectors, "debian:<suite>/<package>, e.g. debian:bookworm/linux-image-amd64")->required();
  fetch->add_option("--mirror", kopts.mirror, "Debian mirror URL (default: from apt sources, or $KGRID_MIRROR)");
  CLI::App* inspect = kernels_cmd->add_subcommand("inspect", "Read a kernel image's header: arch, version, compression");
  inspect->add_option("files", kopts.files, "Kernel image files")->required();

  CLI11_PARSE(app, argc, argv);

  if (run_cmd->parsed()) {
    if (run.jobs == 0) run.jobs = std::max(1u, std::thread::hardware_concurrency());
    return kgrid::host::run_command(run);
  }
  if (fetch->parsed()) return kgrid::host::kernels_fetch(kopts);
  if (inspect->parsed()) return kgrid::host::kernels_inspect(kopts);
  return 2;
}
