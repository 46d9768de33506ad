// Compression of initramfs archives (zstd via libzstd, gzip via zlib) and
// the choice of a method a given kernel can unpack.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace kgrid::packer {

enum class Compression { None, Gzip, Zstd };

std::string_view compression_name(Compression c);  // "none", "gzip", "zstd"
std::optional<Compression> parse_compression(std::string_view name);
std::string_view compression_suffix(Compression c);  // "", ".gz", ".zst"

// The level used when `level` is 0. zstd: 9 (see compress.cc for the
// measurements), gzip: 6.
int default_level(Compression c);

// Deterministic: the same bytes, method and level give the same output
// (the gzip header has no mtime and no file name). level 0 = default.
Result<std::string> compress(std::string_view bytes, Compression c, int level = 0);

// Looks up a kernel config option by its full name ("CONFIG_RD_ZSTD") and
// returns its value ("y", "m", a string), or nullopt if it is not set.
// An empty ConfigLookup means the config is unknown.
using ConfigLookup = std::function<std::optional<std::string>(std::string_view key)>;

// A ConfigLookup over a map; the map must outlive the lookup.
ConfigLookup lookup_in(const std::map<std::string, std::string>& config);

// "6.1.0-50-amd64" -> {6, 1}; nullopt if it does not start with N.N.
std::optional<std::pair<int, int>> parse_kernel_version(std::string_view release);

// zstd if the kernel is >= 5.9 (zstd initramfs support) and has
// CONFIG_RD_ZSTD=y, or is >= 5.9 and its config is unknown; otherwise gzip
// if CONFIG_RD_GZIP=y or the config is unknown; otherwise None.
Compression choose_compression(std::string_view kernel_release, const ConfigLookup& config);

}  // namespace kgrid::packer
