// Turns what the user named (files, directories, debian: selectors, grid
// files) into a checked list of kernels to boot, each with a stable id.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace kgrid::host {

struct ResolvedKernel {
  std::string id;       // e.g. debian-bookworm-6.1.0-50-amd64
  std::string source;   // what the user named
  std::filesystem::path image;
  std::optional<std::filesystem::path> config;
  std::string release;  // 6.1.0-50-amd64
  std::string arch;     // x86_64
};

struct ResolveOptions {
  std::string mirror;
};

// Every error names the kernel and what is wrong, before anything boots.
Result<std::vector<ResolvedKernel>> resolve_kernels(const std::vector<std::string>& names,
                                                    const ResolveOptions& options);

// "6.1.0-50-amd64" -> a file-name-safe id part.
std::string sanitize_id(std::string_view text);

}  // namespace kgrid::host
