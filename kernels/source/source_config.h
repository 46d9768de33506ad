// The kernel configuration `kgrid kernels build --src` builds with: the
// "minimal" fragment (what kgrid's harness and probes need, on top of
// allnoconfig, like a nightly mainline smoke build), and the check that each
// option of a fragment survived `make olddefconfig` (kconfig silently drops
// an option whose dependencies are not met).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kernels/image/config.h"

namespace kgrid::kernels {

// The fragment for x86_64, one "CONFIG_X=value" per line, with comments
// saying which part of kgrid needs each option.
std::string_view minimal_config_fragment();

struct FragmentOption {
  std::string name;   // "CONFIG_BPF_SYSCALL"
  std::string value;  // "y", "m", "n" (from "# CONFIG_X is not set"), or a string/number
};

// Parses a fragment: "CONFIG_X=v" and "# CONFIG_X is not set" lines; other
// comments and blank lines are skipped. Anything else is an error naming the line.
Result<std::vector<FragmentOption>> parse_fragment(std::string_view text);

// The options of `fragment` whose value in the final config differs, as
// "CONFIG_X=y was dropped (now: not set)". Empty: all survived.
std::vector<std::string> dropped_options(const std::vector<FragmentOption>& fragment, const KernelConfig& config);

}  // namespace kgrid::kernels
