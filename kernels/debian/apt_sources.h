// Finds the Debian mirror this machine uses, from its apt sources, so that
// kgrid never hard-codes a mirror host. Override order: an explicit mirror,
// then $KGRID_MIRROR, then the apt sources.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::kernels {

struct AptSource {
  std::vector<std::string> types;  // "deb", "deb-src"
  std::vector<std::string> uris;
  std::vector<std::string> suites;
  std::vector<std::string> components;
  bool enabled = true;
};

// One-line format: "deb [opt=val ...] URI suite [component...]".
std::vector<AptSource> parse_sources_list(std::string_view text);

// deb822 format (*.sources): stanzas with Types:, URIs:, Suites:,
// Components:, Enabled:.
std::vector<AptSource> parse_deb822_sources(std::string_view text);

// True for Debian release names (codenames from buzz to sid, stable,
// testing, ...) and their -updates, -backports, -proposed-updates suites;
// false for -security and anything else ("jammy", "cloud-sdk-bookworm").
bool is_debian_suite(std::string_view suite);

// The first http(s)/file URI of an enabled "deb" source whose suites are
// Debian suites, preferring one that serves "main". Without trailing '/'.
std::optional<std::string> pick_debian_mirror(const std::vector<AptSource>& sources);

// Reads <apt_dir>/sources.list, <apt_dir>/sources.list.d/*.list and *.sources.
std::vector<AptSource> read_apt_sources(const std::filesystem::path& apt_dir = "/etc/apt");

// explicit_mirror if not empty, else $KGRID_MIRROR if set, else the apt
// sources under apt_dir. The error says how to set one.
Result<std::string> find_debian_mirror(std::string_view explicit_mirror = {},
                                       const std::filesystem::path& apt_dir = "/etc/apt");

}  // namespace kgrid::kernels
