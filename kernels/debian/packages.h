// Debian Packages index: stanza parsing and resolving a kernel package (a
// metapackage such as linux-image-amd64, or a versioned one) to the .deb
// files that hold the kernel image and its config.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kgrid::kernels {

struct PackageEntry {
  std::string name;
  std::string version;
  std::string source;
  std::string depends;   // raw Depends field
  std::string filename;  // path below the mirror base: pool/main/...
  uint64_t size = 0;
  std::string sha256;
};

using PackageIndex = std::map<std::string, PackageEntry, std::less<>>;

// Feeds the index text in chunks of any size (e.g. straight out of the xz
// decoder) and hands over each complete stanza that `keep` accepts (by
// package name). Only the fields of PackageEntry are kept.
class PackagesParser {
 public:
  using Keep = std::function<bool(std::string_view name)>;
  using Sink = std::function<void(PackageEntry&&)>;
  PackagesParser(Sink sink, Keep keep = {}) : sink_(std::move(sink)), keep_(std::move(keep)) {}
  void feed(std::string_view chunk);
  void finish();  // flushes the last stanza

 private:
  void line(std::string_view l);
  void end_stanza();
  Sink sink_;
  Keep keep_;
  std::string partial_;
  PackageEntry cur_;
  bool in_stanza_ = false;
};

// linux-image-*, linux-binary-*, linux-base-*: the packages kernel
// resolution can touch.
bool is_kernel_package_name(std::string_view name);

// Parses a whole index; with `keep` empty every stanza is kept. A package
// that appears twice keeps its last stanza.
PackageIndex parse_packages(std::string_view text, const PackagesParser::Keep& keep = {});

// The package name of the first alternative of each Depends entry:
// "a (>= 1) | b, c:any" -> {"a", "c"}.
std::vector<std::string> first_alternatives(std::string_view depends);

struct DebFile {
  std::string package;
  std::string version;
  std::string filename;
  uint64_t size = 0;
  std::string sha256;
  std::string path_in_deb;  // e.g. "boot/vmlinuz-6.1.0-50-amd64"
};

struct KernelResolution {
  std::string package;  // the package asked for
  std::string version;  // its version
  std::string abi;      // "6.1.0-50-amd64": the kernel release
  std::string layout;   // "boot": linux-image-<abi> holds boot/vmlinuz-<abi> and
                        // boot/config-<abi>; "modules": linux-binary-<abi> holds
                        // usr/lib/modules/<abi>/vmlinuz, linux-base-<abi> the config
  DebFile image;
  DebFile config;  // the same package as image in the "boot" layout
};

// Packages smaller than this are metapackages (no kernel inside).
inline constexpr uint64_t kMetapackageMaxSize = 1 << 20;

// Follows Depends (first alternative of each, kernel package names only)
// breadth-first from `package` to the first package that holds a kernel.
Result<KernelResolution> resolve_kernel(const PackageIndex& index, std::string_view package);

}  // namespace kgrid::kernels
