// A usable kernel build dir for a Debian kernel, assembled in the cache
// from linux-headers-<abi> (the flavor's generated headers, .config and
// Module.symvers), linux-headers-<...>-common (the shared source headers)
// and linux-kbuild-<...> (scripts/ and tools/ with the host tools), all
// verified like kernel packages (InRelease -> Packages -> .deb SHA-256):
//
//   <cache>/headers/<id>/root/usr/src/linux-headers-<abi>   the build dir (make -C)
//   <cache>/headers/<id>/meta.json                          packages and their SHA-256
//
// Fix-ups so that `make -C <build dir> M=<module dir> modules` works without
// installing anything (facts from docs: the headers notes):
//  - absolute /usr/src/... paths in the flavor Makefile (include of the
//    common Makefile; KBUILD_OUTPUT in 7.x) point into the cache;
//  - absolute symlinks (lib/modules/<abi>/build) become relative;
//  - when this machine's glibc is too old for the suite's kbuild host tools
//    (6.12 in trixie and 7.x need GLIBC_2.38), a kbuild of the same series
//    from <this machine's codename>-backports is used if one exists
//    (linux-kbuild-6.12.*+deb12 for bookworm); otherwise the tools that need
//    it are wrapped to run with a newer libc6 unpacked privately in the cache
//    (private_glibc.h; the notes say so, meta.json records it so older trees
//    are assembled again); only when no libc6 can be had are module builds
//    reported impossible with the exact reason (headers still serve BPF).
// The compiler and make overrides for this machine are in headers_toolchain.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernels/debian/archive.h"
#include "kernels/debian/catalog.h"

namespace kgrid::kernels {

struct HeaderPackage {
  std::string name, version, suite, sha256;
  uint64_t size = 0;
};

struct KernelHeaders {
  std::string id;                    // debian-<suite>-<abi>
  std::string suite, abi, arch;
  std::filesystem::path root;        // the unpacked packages
  std::filesystem::path build_dir;   // root/usr/src/linux-headers-<abi>
  std::filesystem::path src_dir;     // root/usr/src/linux-headers-<...>-common
  std::filesystem::path kbuild_dir;  // root/usr/lib/linux-kbuild-<...>
  std::vector<HeaderPackage> packages;
  std::vector<std::string> notes;    // e.g. the kbuild came from backports
  bool from_cache = false;
};

// Downloads, verifies and assembles the headers of a Debian kernel id.
Result<KernelHeaders> fetch_debian_headers(const KernelId& id, const FetchOptions& options = {});

// The VERSION_CODENAME of /etc/os-release ("bookworm"), or "".
std::string host_codename(const std::filesystem::path& os_release = "/etc/os-release");

// "libc6 (>= 2.38), libelf1" -> "2.38"; "" when the package names no libc6 version.
std::string libc6_requirement(std::string_view depends);

}  // namespace kgrid::kernels
