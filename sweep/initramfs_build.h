// Assembles each kernel's initramfs from kgrid's guest binaries: the shared
// base (cached by content hash, compressed as the kernel supports) plus a
// per-kernel overlay holding the plan.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/plan.h"
#include "common/result.h"
#include "sweep/kernel_set.h"
#include "packer/initramfs.h"

namespace kgrid::host {

class InitramfsBuilder {
 public:
  explicit InitramfsBuilder(std::filesystem::path guest_dir) : guest_dir_(std::move(guest_dir)) {}

  // Checks that every guest binary is there, with a message that says how to build them.
  Status check() const;

  // A host file (a user's probe, from a test spec) for every kernel's
  // initramfs, at `guest_path`. Call before build_for().
  void add_file(std::filesystem::path host, std::string guest_path) {
    extra_files_.emplace_back(std::move(host), std::move(guest_path));
  }

  // Writes `out` (base + overlay) for this kernel; returns the compression used.
  // `kernel_files` (host path, guest path) go into this kernel's overlay only,
  // e.g. a driver built for this kernel.
  Result<packer::Compression> build_for(
      const ResolvedKernel& kernel, const plan::Plan& plan, const std::filesystem::path& out,
      const std::vector<std::pair<std::filesystem::path, std::string>>& kernel_files = {});

 private:
  Result<packer::BaseArchive> base(packer::Compression c);

  std::filesystem::path guest_dir_;
  std::map<packer::Compression, packer::BaseArchive> bases_;
  std::vector<std::pair<std::filesystem::path, std::string>> extra_files_;
};

// The guest binaries and where they go in the initramfs.
const std::map<std::string, std::string>& guest_binaries();

}  // namespace kgrid::host
