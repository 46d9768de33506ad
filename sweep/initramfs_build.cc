#include "sweep/initramfs_build.h"

#include <system_error>

#include "kernels/cache.h"
#include "kernels/image/config.h"

namespace kgrid::host {

namespace fs = std::filesystem;

const std::map<std::string, std::string>& guest_binaries() {
  static const std::map<std::string, std::string> binaries = {
      {"kgrid-init", "init"},
      {"kgrid-testrunner", "kgrid/bin/kgrid-testrunner"},
      {"kgrid-probe", "kgrid/bin/kgrid-probe"},
      {"kgrid-gen", "kgrid/bin/kgrid-gen"},
  };
  return binaries;
}

Status InitramfsBuilder::check() const {
  for (const auto& [name, dest] : guest_binaries()) {
    std::error_code ec;
    if (!fs::is_regular_file(guest_dir_ / name, ec))
      return make_error("guest binary " + (guest_dir_ / name).string() +
                        " is missing; build kgrid first (scripts/build) or pass --guest-dir");
  }
  return ok_status();
}

Result<packer::BaseArchive> InitramfsBuilder::base(packer::Compression c) {
  if (auto it = bases_.find(c); it != bases_.end()) return it->second;
  std::vector<packer::Entry> entries = {
      packer::Entry::directory("dev"),       packer::Entry::char_device("dev/console", 5, 1),
      packer::Entry::char_device("dev/null", 1, 3, 0666),
      packer::Entry::directory("proc"),      packer::Entry::directory("sys"),
      packer::Entry::directory("tmp", 01777), packer::Entry::directory("kgrid/bin"),
  };
  for (const auto& [name, dest] : guest_binaries()) {
    auto e = packer::file_entry_from_host(guest_dir_ / name, dest);
    if (!e) return e.error();
    entries.push_back(std::move(*e));
  }
  for (const auto& [host, guest] : extra_files_) {
    auto e = packer::file_entry_from_host(host, guest);
    if (!e) return e.error();
    entries.push_back(std::move(*e));
  }
  auto cache = kernels::cache_dir();
  if (!cache) return cache.error();
  auto built = packer::build_base(std::move(entries), c, *cache);
  if (!built) return built.error();
  bases_[c] = *built;
  return *built;
}

Result<packer::Compression> InitramfsBuilder::build_for(
    const ResolvedKernel& kernel, const plan::Plan& plan, const fs::path& out,
    const std::vector<std::pair<fs::path, std::string>>& kernel_files) {
  std::optional<kernels::KernelConfig> config;
  if (kernel.config) {
    auto loaded = kernels::KernelConfig::load(*kernel.config);
    if (loaded) config = std::move(*loaded);
  }
  packer::ConfigLookup lookup;
  if (config)
    lookup = [&config](std::string_view key) { return config->value(key); };
  packer::Compression c = packer::choose_compression(kernel.release, lookup);
  auto b = base(c);
  if (!b) return b.error();
  std::vector<packer::Entry> overlay_entries = {packer::Entry::file("kgrid/plan", plan::format_plan(plan))};
  for (const auto& [host, guest] : kernel_files) {
    auto e = packer::file_entry_from_host(host, guest);
    if (!e) return e.error();
    overlay_entries.push_back(std::move(*e));
  }
  auto overlay = packer::build_overlay(std::move(overlay_entries));
  if (!overlay) return overlay.error();
  if (auto st = packer::assemble(b->path, *overlay, out); !st) return st.error();
  return c;
}

}  // namespace kgrid::host
