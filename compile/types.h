// The compile grid's vocabulary: compilers, header trees, one cell (kernel x
// driver x compiler) and what building it came to.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kgrid::host {

// A compiler found on this machine: gcc-N builds kernel modules, clang-N
// (with its llc-N) builds legacy BPF objects.
struct Compiler {
  std::string name;    // "gcc-12", "clang-14"
  std::string family;  // "gcc" or "clang"
  int version = 0;     // 12
  std::filesystem::path cc;   // absolute path of gcc-12 / clang-14
  std::filesystem::path llc;  // clang only: llc-14
  std::filesystem::path resource_include;  // clang only: `clang -print-file-name=include`
  std::string version_text;  // first line of `cc --version`, part of the build cache key
};

// A kernel's headers, ready for `make -C build_dir M=...` and for the BPF
// compiler's include path.
struct HeaderTree {
  std::string release;               // 6.1.0-50-amd64
  std::filesystem::path build_dir;   // objtree: .config, generated headers, Module.symvers
  std::filesystem::path src_dir;     // srctree: include/, arch/; Debian's "-common" package
  std::filesystem::path kbuild_dir;  // where scripts/ and tools/ (kbuild's host tools) really are
  std::string arch = "x86";          // kbuild's SRCARCH
  std::string kbuild_skip;           // non-empty: kbuild cannot run here, and why (modules only)
  std::vector<std::string> notes;    // from the headers provider, e.g. a backports kbuild
};

// Timeout: the build ran longer than its limit and was killed (the whole
// process group).
enum class BuildVerdict { Built, BuildFail, Skip, Timeout };

const char* build_verdict_name(BuildVerdict v);  // BUILT, BUILD_FAIL, SKIP, TIMEOUT

// One cell of the grid and its outcome.
struct BuildOutcome {
  std::string kernel_id;
  std::string release;
  std::string driver;    // kmod, bpf, or an external driver's name (--driver-name)
  std::string compiler;  // gcc-12, clang-14
  BuildVerdict verdict = BuildVerdict::Skip;
  std::string reason;    // BUILD_FAIL: the first compiler error line; SKIP: why; TIMEOUT: the limit
  std::filesystem::path artifact;  // the .ko / .o, when built
  std::filesystem::path log;       // everything the build printed
  double duration_s = 0;
  bool cached = false;   // the artifact came from the build cache
  std::string kind;      // external drivers only: kmod or bpf (what the artifact is); empty: driver is the kind

  std::string test_name() const { return driver + "/" + compiler; }  // kmod/gcc-12
  std::string artifact_kind() const { return kind.empty() ? driver : kind; }
  bool external() const { return !kind.empty(); }
};

// Which compiler family builds a driver: kmod -> gcc, bpf -> clang.
std::string family_for_driver(const std::string& driver);

}  // namespace kgrid::host
