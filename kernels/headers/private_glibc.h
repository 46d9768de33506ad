// A newer glibc than this machine's, unpacked privately into the cache, so
// that kbuild host tools built for a newer Debian (7.x on bookworm: they need
// GLIBC_2.38) run here through that glibc's dynamic loader:
//
//   <cache>/glibc/<libc6 version>-<sha256 prefix>/root     the unpacked libc6 (amd64)
//   <cache>/glibc/<libc6 version>-<sha256 prefix>/sha256   written last: the .deb's SHA-256
//
// libc6 comes from the first suite of glibc_suites() whose libc6 is new
// enough, verified like every package (InRelease -> Packages -> .deb SHA-256).
// Each tool that needs it is moved out of the kbuild tree and replaced by a
// shell wrapper that runs
//   <root>/.../ld-linux-x86-64.so.2 --library-path <root>/.../x86_64-linux-gnu --argv0 "$0" <real tool> "$@"
// (--argv0 keeps argv[0] the tool's usual path; other libraries, e.g.
// libelf, still come from this machine).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kernels/debian/archive.h"

namespace kgrid::kernels {

struct PrivateGlibc {
  std::string libc6_version;       // Debian's: "2.41-12+deb13u5"
  std::string glibc;               // "2.41"
  std::string suite, sha256;
  std::filesystem::path dir;       // <cache>/glibc/<key>
  std::filesystem::path loader;    // dir/root/.../ld-linux-x86-64.so.2
  std::filesystem::path lib_dir;   // dir/root/.../x86_64-linux-gnu
};

// The suites to take libc6 from, most stable first: the Debian releases
// after `host_codename` up to the kernel's suite (its -backports etc. count
// as the release), then sid when the kernel's suite is none of them.
// ("bookworm", "sid") -> {"trixie", "forky", "sid"}; ("", "sid") -> {"sid"}.
std::vector<std::string> glibc_suites(const std::string& host_codename, const std::string& kernel_suite);

// Whether a libc6 of Debian version "2.41-12+deb13u5" has glibc `needed` ("2.38").
bool libc6_provides(std::string_view libc6_version, std::string_view needed);

// Finds libc6 (amd64) with glibc >= `needed` in `suites` (the first that has
// one), downloads, verifies and unpacks it into the cache under a file lock
// unless it is there already. Errors name what each suite lacked.
Result<PrivateGlibc> ensure_private_glibc(const ArchiveAccess& access, const std::string& needed,
                                          const std::vector<std::string>& suites);

// The wrapper script that replaces a tool needing `needed`.
std::string glibc_wrapper_script(const PrivateGlibc& g, const std::filesystem::path& real_tool,
                                 const std::string& needed);

// In a kbuild tree being assembled at `kbuild_dir`: moves every ELF tool that
// needs a newer glibc than `host_glibc` but no newer than `g` provides to
// `real_dir`/<same relative path> and writes a wrapper in its place that
// calls it at `final_real_dir`/<relative path> (where real_dir will be once
// the tree is moved into the cache). Returns the wrapped relative paths.
Result<std::vector<std::string>> wrap_kbuild_tools(const std::filesystem::path& kbuild_dir,
                                                   const std::filesystem::path& real_dir,
                                                   const std::filesystem::path& final_real_dir,
                                                   const PrivateGlibc& g, const std::string& host_glibc);

}  // namespace kgrid::kernels
