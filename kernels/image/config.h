// A kernel .config: parsing, lookups, and finding the config for an image.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kgrid::kernels {

class KernelConfig {
 public:
  // Parses "CONFIG_X=value" lines; comments ("# CONFIG_X is not set" too)
  // and blank lines are skipped. String values are unquoted. A line that is
  // neither is an error naming the line number.
  static Result<KernelConfig> parse(std::string_view text);
  static Result<KernelConfig> load(const std::filesystem::path& path);

  // True if the option is "y" or "m".
  bool is_set(std::string_view name) const;
  bool is_builtin(std::string_view name) const;  // "y"
  std::optional<std::string> value(std::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// The config that belongs to `image`, looked for in this order:
// "config-<release>" beside it (when release is not empty), "config" in the
// same directory, "<image>.config".
Result<std::filesystem::path> find_config(const std::filesystem::path& image,
                                          std::string_view release);

}  // namespace kgrid::kernels
