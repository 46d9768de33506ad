// The running kernel's own config, from /proc/config.gz (CONFIG_IKCONFIG_PROC),
// for CONFIG requirements the host could not check because it had no config
// file for the kernel. Most distribution kernels do not have it.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::testrunner {

using KernelConfigValues = std::map<std::string, std::string, std::less<>>;

inline constexpr const char* kProcConfigPath = "/proc/config.gz";

// "CONFIG_X=value" lines; comments and blank lines skipped, quotes kept.
KernelConfigValues parse_kernel_config(std::string_view text);

// Inflates gzip data.
Result<std::string> gunzip(std::string_view data);

// Reads and parses a gzip'd config such as /proc/config.gz.
Result<KernelConfigValues> read_kernel_config(const char* path = kProcConfigPath);

}  // namespace kgrid::testrunner
