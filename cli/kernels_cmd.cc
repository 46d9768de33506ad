#include "cli/kernels_cmd.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>

#include "kernels/cache.h"
#include "kernels/debian/catalog.h"
#include "kernels/image/config.h"
#include "kernels/debian/debian.h"
#include "kernels/gc.h"
#include "kernels/headers/headers.h"
#include "kernels/headers/headers_toolchain.h"
#include "kernels/image/image.h"
#include "kernels/image/preflight.h"
#include "kernels/download/url_kernel.h"
#include "util/files.h"
#include "util/process.h"

namespace kgrid::host {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void error(const std::string& message) { std::fprintf(stderr, "kgrid: error: %s\n", message.c_str()); }
void warn(const std::string& message) { std::fprintf(stderr, "kgrid: warning: %s\n", message.c_str()); }

std::string megabytes(uint64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

kernels::FetchOptions fetch_options(const KernelsOptions& o) {
  kernels::FetchOptions fo;
  fo.mirror = o.mirror;
  if (!o.json) fo.log = [](const std::string& line) { std::fprintf(stderr, "kgrid: %s\n", line.c_str()); };
  return fo;
}

json fetched_json(const kernels::FetchedKernel& k, const std::string& source) {
  json j = {{"id", k.id},           {"source", source},     {"image", k.image.string()}, {"config", k.config.string()},
            {"release", k.release}, {"suite", k.suite},     {"arch", k.arch},            {"version", k.version},
            {"from_cache", k.from_cache}};
  if (!k.verified.empty()) {  // Debian kernels: how the package was checked, what came down
    j["verified"] = k.verified;
    j["bytes_fetched"] = k.bytes_fetched;
    j["package_size"] = k.package_size;
  }
  return j;
}

const char* role_name(kernels::ConfigCheck::Role r) {
  switch (r) {
    case kernels::ConfigCheck::Role::Boot: return "boot";
    case kernels::ConfigCheck::Role::Warn: return "harness";
    case kernels::ConfigCheck::Role::Probe: return "probe";
  }
  return "?";
}

}  // namespace

int kernels_list(const KernelsOptions& o) {
  kernels::KernelQuery q;
  for (const auto& s : o.suites) for (auto& v : kernels::split_list(s)) q.suites.push_back(v);
  q.arches.clear();
  for (const auto& s : o.arches) for (auto& v : kernels::split_list(s)) q.arches.push_back(v);
  for (const auto& s : o.flavors) for (auto& v : kernels::split_list(s)) q.flavors.push_back(v);
  for (const auto& s : o.series) for (auto& v : kernels::split_list(s)) q.series.push_back(v);
  if (o.suites.size() == 1 && o.suites[0] == "*") q.suites.clear();
  q.newest = o.newest;
  std::vector<std::string> warnings;
  auto fo = fetch_options(o);
  auto entries = kernels::load_catalog(q, fo, &warnings);
  for (const auto& w : warnings) warn(w);
  if (!entries) {
    error(entries.error().message);
    return 1;
  }
  auto root = kernels::cache_dir();
  auto cached = [&](const kernels::CatalogEntry& e) {
    std::error_code ec;
    return root && fs::exists(*root / "kernels" / e.id / "meta.json", ec);
  };
  if (o.json) {
    json out = {{"schema", 1}, {"query", q.text()}, {"kernels", json::array()}, {"warnings", warnings}};
    for (const auto& e : *entries) {
      json files = json::array();
      for (const auto* d : {&e.resolution.image, &e.resolution.config}) {
        if (d == &e.resolution.config && d->filename == e.resolution.image.filename) continue;
        files.push_back({{"package", d->package}, {"version", d->version}, {"filename", d->filename},
                         {"size", d->size}, {"sha256", d->sha256}});
      }
      out["kernels"].push_back({{"id", e.id}, {"suite", e.suite}, {"arch", e.arch}, {"abi", e.abi},
                                {"series", e.series}, {"flavor", e.flavor}, {"version", e.version},
                                {"package", e.package}, {"selector", e.selector()}, {"size", e.size},
                                {"cached", cached(e)}, {"files", files}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  size_t id_w = 2, ver_w = 7, suite_w = 5;
  for (const auto& e : *entries) {
    id_w = std::max(id_w, e.id.size());
    ver_w = std::max(ver_w, e.version.size());
    suite_w = std::max(suite_w, e.suite.size());
  }
  std::cout << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<7}  {:<6}  {:>9}  {}\n", "ID", id_w, "VERSION", ver_w, "SUITE",
                           suite_w, "FLAVOR", "ARCH", "SIZE", "CACHED");
  uint64_t total = 0, to_fetch = 0;
  for (const auto& e : *entries) {
    const bool c = cached(e);
    total += e.size;
    if (!c) to_fetch += e.size;
    std::cout << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<7}  {:<6}  {:>9}  {}\n", e.id, id_w, e.version, ver_w, e.suite,
                             suite_w, e.flavor, e.arch, megabytes(e.size), c ? "yes" : "");
  }
  std::cout << fmt::format("{} kernel(s), {:.2f} GB of packages, {:.2f} GB not cached yet\n", entries->size(),
                           static_cast<double>(total) / 1e9, static_cast<double>(to_fetch) / 1e9);
  return 0;
}

namespace {

// `kernels fetch`; `mode` from --fetch (empty: $KGRID_FETCH, else verified).
int fetch_kernels(const KernelsOptions& o, std::optional<kernels::FetchMode> mode) {
  int status = 0;
  json out = json::array();
  auto fo = fetch_options(o);
  fo.fetch_mode = mode;
  auto report = [&](const kernels::FetchedKernel& k, const std::string& source) {
    for (const auto& w : k.warnings) warn(w);
    if (o.json) out.push_back(fetched_json(k, source));
    else std::printf("%s\n  image:  %s\n  config: %s\n", k.id.c_str(), k.image.c_str(), k.config.c_str());
  };
  for (const auto& name : o.selectors) {
    if (kernels::is_query(name)) {
      auto q = kernels::parse_query(name);
      if (!q) { error(q.error().message); status = 2; continue; }
      std::vector<std::string> warnings;
      auto entries = kernels::load_catalog(*q, fo, &warnings);
      for (const auto& w : warnings) warn(w);
      if (!entries) { error(name + ": " + entries.error().message); status = 1; continue; }
      for (const auto& e : *entries) {
        auto k = kernels::fetch_catalog_entry(e, fo);
        if (!k) { error(e.id + ": " + k.error().message); status = 1; continue; }
        report(*k, e.selector());
      }
      continue;
    }
    Result<kernels::FetchedKernel> k = make_error("");
    if (kernels::is_url(name)) {
      auto ref = kernels::parse_url_ref(name);
      if (!ref) { error(ref.error().message); status = 2; continue; }
      k = kernels::fetch_url_kernel(*ref, fo);
    } else if (name.starts_with("debian-")) {
      auto id = kernels::parse_kernel_id(name);
      if (!id) { error(id.error().message); status = 2; continue; }
      k = kernels::fetch_debian(kernels::Selector{id->suite, "linux-image-" + id->abi, id->arch}, fo);
    } else {
      auto sel = kernels::parse_selector(name);
      if (!sel) { error(sel.error().message); status = 2; continue; }
      k = kernels::fetch_debian(*sel, fo);
    }
    if (!k) { error(name + ": " + k.error().message); status = 1; continue; }
    report(*k, name);
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return status;
}

}  // namespace

int kernels_fetch(const KernelsOptions& o) { return fetch_kernels(o, std::nullopt); }

int kernels_inspect(const KernelsOptions& o) {
  int status = 0;
  json out = json::array();
  for (const auto& file : o.files) {
    auto image = kernels::inspect_image(file);
    if (!image) {
      error(image.error().message);
      status = 1;
      continue;
    }
    std::optional<fs::path> config;
    if (!o.config.empty()) config = o.config;
    else if (auto found = kernels::find_config(file, image->release)) config = *found;
    auto pre = kernels::preflight(file, config);
    if (!pre) {
      error(pre.error().message);
      status = 1;
      continue;
    }
    if (o.json) {
      json checks = json::array();
      for (const auto& c : pre->checks)
        checks.push_back({{"option", c.option}, {"value", c.value}, {"ok", c.ok}, {"role", role_name(c.role)}, {"why", c.why}});
      out.push_back({{"file", file}, {"arch", image->arch}, {"format", image->format}, {"release", image->release},
                     {"version", image->version}, {"compression", image->compression},
                     {"config", config ? config->string() : ""}, {"boot_fail_reason", pre->boot_fail_reason},
                     {"skip_reasons", pre->skip_reasons}, {"warnings", pre->warnings}, {"checks", checks}});
      continue;
    }
    std::printf("%s\n  arch:        %s\n  format:      %s\n  release:     %s\n  version:     %s\n  compression: %s\n",
                file.c_str(), image->arch.c_str(), image->format.c_str(), image->release.c_str(),
                image->version.c_str(), image->compression.c_str());
    std::printf("  config:      %s\n", config ? config->c_str() : "not found beside the image (give --config FILE)");
    for (const auto& c : pre->checks)
      std::printf("    %-4s %-8s %-34s %s\n", c.ok ? "ok" : "MISS", role_name(c.role), (c.option + "=" + c.value).c_str(),
                  c.ok ? "" : c.why.c_str());
    std::printf("  predicted:   %s\n", !pre->boot_fail_reason.empty() ? ("BOOT_FAIL: " + pre->boot_fail_reason).c_str()
                                       : !pre->config_known          ? "nothing (no config)"
                                       : pre->skip_reasons.empty()   ? "boots; the probes have what they need"
                                                                     : "boots; some tests will SKIP");
    for (const auto& s : pre->skip_reasons) std::printf("    SKIP: %s\n", s.c_str());
    for (const auto& w : pre->warnings) std::printf("    warning: %s\n", w.c_str());
    if (!pre->boot_fail_reason.empty()) status = 1;
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return status;
}

int kernels_headers(const KernelsOptions& o) {
  auto id = kernels::parse_kernel_id(o.id);
  if (!id) {
    error(id.error().message + "; see `kgrid kernels list`");
    return 2;
  }
  auto h = kernels::fetch_debian_headers(*id, fetch_options(o));
  if (!h) {
    error(o.id + ": " + h.error().message);
    return 1;
  }
  kernels::BuildRecipe r = kernels::build_recipe(*h, o.cc);
  std::optional<ProcessResult> made;
  std::optional<TempPath> work;
  if (o.check && r.modules_ok) {
    work.emplace(temp_path_for(fs::temp_directory_path() / "kgrid-module-check"));
    auto m = kernels::build_test_module(*h, r, work->path());
    if (!m) {
      error(m.error().message);
      return 1;
    }
    made = *m;
  }
  const bool ok = r.modules_ok && (!made || made->ok());
  if (o.json) {
    json pk = json::array();
    for (const auto& p : h->packages)
      pk.push_back({{"name", p.name}, {"version", p.version}, {"suite", p.suite}, {"size", p.size}, {"sha256", p.sha256}});
    json out = {{"id", h->id},
                {"abi", h->abi},
                {"arch", h->arch},
                {"build_dir", h->build_dir.string()},
                {"src_dir", h->src_dir.string()},
                {"kbuild_dir", h->kbuild_dir.string()},
                {"kernel_cc", r.kernel_cc},
                {"cc", r.cc},
                {"make_args", r.make_args},
                {"modules", r.modules_ok},
                {"reason", r.reason},
                {"notes", h->notes},
                {"packages", pk},
                {"from_cache", h->from_cache}};
    for (const auto& n : r.notes) out["notes"].push_back(n);
    if (made) out["check"] = {{"ok", made->ok()}, {"detail", made->ok() ? "" : made->describe()}};
    std::cout << out.dump(2) << "\n";
    return ok ? 0 : 1;
  }
  std::string args;
  for (const auto& a : r.make_args) args += " " + a;
  std::printf("%s\n  build dir: %s\n  compiler:  %s (the kernel was built with %s)\n  make:      make -C %s M=<module dir>%s modules\n",
              h->id.c_str(), h->build_dir.c_str(), r.cc.c_str(), r.kernel_cc.empty() ? "?" : r.kernel_cc.c_str(),
              h->build_dir.c_str(), args.c_str());
  for (const auto& n : h->notes) std::printf("  note: %s\n", n.c_str());
  for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
  if (!r.modules_ok) std::printf("  modules:   cannot be built here: %s\n", r.reason.c_str());
  if (made) {
    std::printf("  check:     %s\n", made->ok() ? "a test module built" : ("the test module failed: " + made->describe()).c_str());
    if (!made->ok()) std::fprintf(stderr, "%s%s", made->out.c_str(), made->err.c_str());
  }
  return ok ? 0 : 1;
}

int kernels_gc(const KernelsOptions& o) {
  auto root = kernels::cache_dir();
  if (!root) {
    error(root.error().message);
    return 2;
  }
  kernels::GcOptions g;
  g.keep = o.keep;
  if (o.max_age_days) g.max_age = std::chrono::hours(static_cast<long>(*o.max_age_days * 24));
  g.dry_run = o.dry_run;
  auto r = kernels::gc_cache(*root, g);
  if (!r) {
    error(r.error().message);
    return 2;
  }
  for (const auto& w : r->warnings) warn(w);
  for (const auto& e : r->removed)
    std::printf("%s %-8s %-50s %10s  %s\n", o.dry_run ? "would remove" : "removed", e.kind.c_str(), e.id.c_str(),
                megabytes(e.bytes).c_str(), e.why.c_str());
  uint64_t kept_bytes = 0;
  for (const auto& e : r->kept) kept_bytes += e.bytes;
  std::printf("%s %s; kept %zu entries (%s) in %s\n", o.dry_run ? "would free" : "freed", megabytes(r->bytes_freed).c_str(),
              r->kept.size(), megabytes(kept_bytes).c_str(), root->c_str());
  return 0;
}

void KernelsCommands::add_to(CLI::App& app) {
  KernelsOptions& o = options_;
  CLI::App* k = app.add_subcommand("kernels", "Find, fetch and inspect kernels; kernel headers; the cache");
  k->require_subcommand(1);
  const std::string mirror_help = "Debian mirror URL (default: from apt sources, or $KGRID_MIRROR)";

  list_ = k->add_subcommand("list", "The kernels the Debian archive offers (from the signed indexes)");
  list_->add_option("--suite", o.suites, "Suites (default: bullseye bookworm bookworm-backports trixie sid experimental); repeatable, comma lists");
  list_->add_option("--arch", o.arches, "amd64, arm64 (default: both)");
  list_->add_option("--flavor", o.flavors, "generic, cloud, rt, ... (default: all)");
  list_->add_option("--series", o.series, "Upstream series such as 6.1 or 6.12 (default: all)");
  list_->add_option("--newest", o.newest, "Only the N newest ABIs of each suite, arch, flavor and series");
  list_->add_flag("--json", o.json, "Machine-readable output");
  list_->add_option("--mirror", o.mirror, mirror_help);

  fetch_ = k->add_subcommand("fetch", "Download kernels into the cache and print their paths");
  fetch_->add_option("kernels", o.selectors,
                     "debian:<suite>/<package>, a kernel id (debian-bookworm-6.1.0-50-amd64), a query "
                     "(debian:trixie?series=6.12&newest=1) or <url>#sha256=<hex>")
      ->required();
  fetch_->add_flag("--json", o.json, "Machine-readable output");
  fetch_->add_option("--mirror", o.mirror, mirror_help);
  fetch_
      ->add_option("--fetch",
                   "verified (default, or $KGRID_FETCH): download each package whole and check its SHA-256 "
                   "against the signed index; partial: stop once vmlinuz and config are out and check them "
                   "only against the md5sums inside the package")
      ->check(CLI::IsMember({"verified", "partial"}));

  inspect_ = k->add_subcommand("inspect", "Read a kernel image's header and check its config against kgrid's needs");
  inspect_->add_option("files", o.files, "Kernel image files")->required();
  inspect_->add_option("--config", o.config, "The kernel's config (default: found beside the image)");
  inspect_->add_flag("--json", o.json, "Machine-readable output");

  headers_ = k->add_subcommand("headers", "Assemble a kernel build dir for a Debian kernel and print how to use it");
  headers_->add_option("id", o.id, "A kernel id, e.g. debian-bookworm-6.1.0-50-amd64 (see kernels list)")->required();
  headers_->add_option("--cc", o.cc, "The compiler to build with (default: the kernel's, if installed, else gcc)");
  headers_->add_flag("--check", o.check, "Build a trivial module to prove the build dir works");
  headers_->add_flag("--json", o.json, "Machine-readable output");
  headers_->add_option("--mirror", o.mirror, mirror_help);

  build_ = k->add_subcommand("build", "Build an x86_64 kernel from a Linux source tree for the grid (image, config, headers)");
  build_->add_option("--src", o.src, "The Linux source tree (left untouched: the build is out of tree)")->required();
  build_->add_option("--config", o.build_config,
                     "minimal (allnoconfig + what kgrid needs), defconfig (+ the same), or a .config file")
      ->capture_default_str();
  build_->add_option("--fragment", o.fragments, "A config fragment applied on top; repeatable");
  build_->add_option("--out,-o", o.out, "Output directory (default: <cache>/source-builds/<tree>-<config>)");
  build_->add_option("-j,--jobs", o.jobs, "make -j (default: the number of cores)");
  build_->add_option("--cc", o.cc, "The compiler, e.g. gcc-12 (default: make's)");

  gc_ = k->add_subcommand("gc", "Trim the kernel cache by last use");
  gc_->add_option("--keep", o.keep, "Keep the N most recently used kernels (and N header trees)");
  gc_->add_option("--max-age", o.max_age_days, "Remove what was not used for this many days");
  gc_->add_flag("--dry-run", o.dry_run, "Only say what would be removed");
}

std::optional<int> KernelsCommands::dispatch() const {
  if (list_ && list_->parsed()) return kernels_list(options_);
  if (fetch_ && fetch_->parsed()) {
    const CLI::Option* mode = fetch_->get_option("--fetch");
    if (mode->count() == 0) return kernels_fetch(options_);
    return fetch_kernels(options_, *kernels::parse_fetch_mode(mode->as<std::string>()));
  }
  if (inspect_ && inspect_->parsed()) return kernels_inspect(options_);
  if (headers_ && headers_->parsed()) return kernels_headers(options_);
  if (gc_ && gc_->parsed()) return kernels_gc(options_);
  if (build_ && build_->parsed()) return kernels_build(options_);
  return std::nullopt;
}

}  // namespace kgrid::host
