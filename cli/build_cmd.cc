#include "cli/build_cmd.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <thread>

#include "compile/compilers.h"
#include "compile/headers.h"
#include "compile/driver_tests.h"
#include "compile/runner.h"
#include "sweep/grid.h"
#include "kernels/cache.h"
#include "probes/driver_sources.h"
#include "results/results.h"
#include "common/version.h"

namespace kgrid::host {

namespace fs = std::filesystem;

namespace {

// The cells of an external driver on one kernel: each selected compiler of
// its kind; a named compiler of the other kind is a SKIP cell.
void add_external_cells(std::vector<BuildCell>& cells, std::vector<size_t>& kernel_of, size_t kernel,
                        const ResolvedKernel& k, const Result<HeaderTree>& tree, const std::vector<Compiler>& compilers,
                        bool named, const std::shared_ptr<const ExternalDriver>& ext) {
  const std::string family = family_for_driver(ext->kind);
  bool any = false;
  for (const Compiler& c : compilers) {
    if (c.family != family && !named) continue;
    BuildCell cell{k.id, k.release, ext->name, c, std::nullopt, "", {}, ext};
    if (c.family != family)
      cell.skip_reason = "a " + ext->kind + " driver is built with " + family + "-N, not " + c.name + " (--driver-kind)";
    else if (tree)
      cell.tree = *tree;
    else
      cell.skip_reason = tree.error().message;
    any = any || c.family == family;
    cells.push_back(std::move(cell));
    kernel_of.push_back(kernel);
  }
  if (!any) {
    BuildCell cell{k.id, k.release, ext->name, Compiler{family, family, 0, {}, {}, {}, {}}, std::nullopt,
                   "no " + family + "-N compiler selected or installed", {}, ext};
    cells.push_back(std::move(cell));
    kernel_of.push_back(kernel);
  }
}

}  // namespace

Result<std::vector<std::vector<BuildOutcome>>> build_drivers(const std::vector<ResolvedKernel>& kernels,
                                                             const DriverBuildOptions& options, const fs::path& out,
                                                             StatusPrinter& printer) {
  const bool external = options.external.given();
  std::vector<std::string> drivers = options.drivers;
  if (drivers.empty() && !external) drivers.assign(std::begin(probe::kBuiltDrivers), std::end(probe::kBuiltDrivers));
  for (const std::string& d : drivers)
    if (family_for_driver(d).empty()) return make_error("unknown driver '" + d + "' to build (kmod, bpf)");
  if (!options.sources_dir.empty()) {
    std::error_code ec;
    for (const std::string& d : drivers)
      if (!fs::is_directory(options.sources_dir / d, ec))
        return make_error("--sources " + options.sources_dir.string() + ": no " + d + "/ directory");
  }

  std::shared_ptr<const ExternalDriver> ext;
  if (external) {
    auto d = prepare_external_driver(options.external, out);
    if (!d) return d.error();
    if (std::find(drivers.begin(), drivers.end(), d->name) != drivers.end())
      return make_error("--driver-name " + d->name + " is also a reference driver built here; choose another name");
    ext = std::make_shared<const ExternalDriver>(std::move(*d));
  }

  auto compilers = select_compilers(options.compilers, find_compilers(path_dirs_from_env()));
  if (!compilers) return compilers.error();
  for (Compiler& c : *compilers)
    if (auto st = probe_compiler(c); !st) return make_error(c.name + ": " + st.error().message);

  // Which compilers each driver gets; a driver left without one is an error
  // only if the user named compilers that exclude it.
  std::vector<BuildCell> cells;
  std::vector<size_t> kernel_of;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const ResolvedKernel& k = kernels[i];
    auto tree = header_tree_for(k, HeadersOptions{options.headers_dir, options.mirror});
    if (!tree) printer.print("kgrid: " + k.id + ": " + tree.error().message);
    for (const std::string& d : drivers) {
      bool any = false;
      for (const Compiler& c : *compilers) {
        if (c.family != family_for_driver(d)) continue;
        any = true;
        BuildCell cell{k.id, k.release, d, c, std::nullopt, "", options.sources_dir, nullptr};
        if (tree) cell.tree = *tree;
        else cell.skip_reason = tree.error().message;
        cells.push_back(std::move(cell));
        kernel_of.push_back(i);
      }
      if (!any) {
        BuildCell cell{k.id, k.release, d, Compiler{family_for_driver(d), family_for_driver(d), 0, {}, {}, {}, {}},
                       std::nullopt, "no " + family_for_driver(d) + "-N compiler selected or installed", {}, nullptr};
        cells.push_back(std::move(cell));
        kernel_of.push_back(i);
      }
    }
    if (ext) add_external_cells(cells, kernel_of, i, k, tree, *compilers, !options.compilers.empty(), ext);
  }

  BuildGridOptions grid;
  std::error_code ec;
  grid.out = fs::absolute(out, ec);  // work dirs go on make's command line (M=...), after make -C
  if (ec) return make_error("--out " + out.string() + ": " + ec.message());
  grid.jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  grid.timeout_s = options.timeout_s;
  if (!options.no_cache) {
    if (auto cache = kernels::cache_dir()) grid.cache = *cache / "builds";
  }
  printer.print(fmt::format("kgrid: building {} cell(s) ({} kernel(s) x {} driver(s)), {} at a time", cells.size(),
                            kernels.size(), drivers.size() + (ext ? 1 : 0), std::min(grid.jobs, cells.size())));
  if (ext)
    printer.print(fmt::format("kgrid: driver {} ({}) from {}: {} file(s), tree {}", ext->name, ext->kind,
                              ext->src.string(), ext->tree.size(), ext->tree_hash.substr(0, 12)));
  grid.on_done = [&](const BuildOutcome& o, size_t done, size_t total) {
    std::string v = build_verdict_name(o.verdict);
    std::string line = fmt::format("[{}/{}] {} {} {} ({:.1f}s{})", done, total, v, o.kernel_id, o.test_name(),
                                   o.duration_s, o.cached ? ", cached" : "");
    if (!o.reason.empty()) line += ": " + o.reason;
    printer.print(line);
  };
  std::vector<BuildOutcome> flat = run_build_grid(cells, grid);

  std::vector<std::vector<BuildOutcome>> per_kernel(kernels.size());
  for (size_t i = 0; i < flat.size(); ++i) per_kernel[kernel_of[i]].push_back(std::move(flat[i]));
  return per_kernel;
}

std::string format_build_table(const std::vector<ResolvedKernel>& kernels,
                               const std::vector<std::vector<BuildOutcome>>& outcomes) {
  std::vector<std::string> columns;
  for (const auto& row : outcomes)
    for (const auto& o : row)
      if (std::find(columns.begin(), columns.end(), o.test_name()) == columns.end()) columns.push_back(o.test_name());
  size_t id_width = 6;
  for (const auto& k : kernels) id_width = std::max(id_width, k.id.size());
  std::string out = fmt::format("{:<{}}", "kernel", id_width);
  for (const auto& c : columns) out += fmt::format("  {:<12}", c);
  out += "\n";
  std::string reasons;
  for (size_t i = 0; i < kernels.size() && i < outcomes.size(); ++i) {
    out += fmt::format("{:<{}}", kernels[i].id, id_width);
    for (const auto& c : columns) {
      auto it = std::find_if(outcomes[i].begin(), outcomes[i].end(), [&](const BuildOutcome& o) { return o.test_name() == c; });
      out += fmt::format("  {:<12}", it == outcomes[i].end() ? "-" : build_verdict_name(it->verdict));
      if (it != outcomes[i].end() && it->verdict != BuildVerdict::Built)
        reasons += fmt::format("  {} {}: {}: {}\n", kernels[i].id, c, build_verdict_name(it->verdict), it->reason);
    }
    out += "\n";
  }
  return out + reasons;
}

int build_command(const BuildCommandOptions& options) {
  StatusPrinter printer;
  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "kgrid: error: %s\n", message.c_str());
    return 2;
  };
  auto names = kernel_sources(options.kernels, options.grid, "--kernel FILE, --grid FILE or debian:<suite>/<package>");
  if (!names) return fail(names.error().message);
  if (options.build.external.given()) {  // before fetching anything
    if (auto ext = check_external_options(options.build.external); !ext) return fail(ext.error().message);
  }
  auto kernels = resolve_kernels(*names, ResolveOptions{options.build.mirror});
  if (!kernels) return fail(kernels.error().message);
  auto t0 = std::chrono::steady_clock::now();
  auto outcomes = build_drivers(*kernels, options.build, options.out, printer);
  if (!outcomes) return fail(outcomes.error().message);

  // results.json: each kernel with its builds; its verdict is the builds'
  // (nothing booted): FAIL if one failed to build, SKIP if none built.
  results::RunResults run;
  run.kgrid_version = kgrid::kVersion;
  run.started_at = results::utc_now_iso8601();
  bool any_fail = false;
  for (size_t i = 0; i < kernels->size(); ++i) {
    const ResolvedKernel& k = (*kernels)[i];
    results::KernelResult r;
    r.id = k.id;
    r.version = k.release;
    r.arch = k.arch;
    r.image = k.image.string();
    r.source = k.source;
    KernelDriverTests t = tests_from_builds((*outcomes)[i], 60);
    r.builds = t.builds;
    bool built = false;
    r.verdict = results::Verdict::Skip;
    for (const BuildOutcome& o : (*outcomes)[i]) {
      built = built || o.verdict == BuildVerdict::Built;
      const results::Verdict v = o.verdict == BuildVerdict::Timeout     ? results::Verdict::Timeout
                                 : o.verdict == BuildVerdict::BuildFail ? results::Verdict::Fail
                                                                        : results::Verdict::Pass;
      if (v != results::Verdict::Pass && v > r.verdict) {
        r.verdict = v;
        r.reason = o.test_name() + ": " + build_verdict_name(o.verdict) + ": " + o.reason;
        any_fail = true;
      }
    }
    if (r.verdict == results::Verdict::Skip && built) r.verdict = results::Verdict::Pass;
    if (r.verdict == results::Verdict::Skip) r.reason = "nothing built (not booted: kgrid build)";
    run.kernels.push_back(std::move(r));
  }
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (auto st = results::write_results_json(options.out, run); !st) return fail(st.error().message);
  if (auto reports = results::regenerate_reports(options.out); !reports)
    printer.print("kgrid: warning: " + reports.error().message);
  printer.finish();
  std::fputs(format_build_table(*kernels, *outcomes).c_str(), stdout);
  std::printf("kgrid: build logs and artifacts in %s; test them with: kgrid run --artifacts %s ...\n",
              (options.out / "build").c_str(), (options.out / "build").c_str());
  return any_fail ? 1 : 0;
}

}  // namespace kgrid::host
