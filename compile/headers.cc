#include "compile/headers.h"

#include <fstream>
#include <sstream>

#include "kernels/debian/catalog.h"
#include "kernels/headers/headers.h"
#include "kernels/headers/headers_toolchain.h"

namespace kgrid::host {

namespace fs = std::filesystem;

namespace {

std::string kbuild_arch(const std::string& machine) {
  if (machine == "x86_64" || machine == "amd64") return "x86";
  if (machine == "aarch64" || machine == "arm64") return "arm64";
  return machine;
}

kernels::KernelHeaders as_kernel_headers(const HeaderTree& t) {
  kernels::KernelHeaders h;
  h.abi = t.release;
  h.build_dir = t.build_dir;
  h.src_dir = t.src_dir;
  h.kbuild_dir = t.kbuild_dir;
  return h;
}

// Whether kbuild can run here at all (its host tools' glibc), as a reason.
std::string kbuild_problem(const HeaderTree& t) {
  kernels::BuildRecipe r = kernels::build_recipe(as_kernel_headers(t));
  return r.modules_ok ? "" : r.reason;
}

}  // namespace

Result<HeaderTree> header_tree_at(const fs::path& build_dir, const std::string& release) {
  std::error_code ec;
  if (!fs::is_regular_file(build_dir / "Makefile", ec))
    return make_error("no kernel build dir at " + build_dir.string() + " (no Makefile)");
  HeaderTree t;
  t.release = release;
  t.build_dir = fs::absolute(build_dir, ec);
  t.src_dir = t.build_dir;
  // Debian's split headers: "include /usr/src/linux-headers-<abi>-common/Makefile".
  std::ifstream mk(build_dir / "Makefile");
  for (std::string line; std::getline(mk, line);) {
    if (line.rfind("include ", 0) != 0) continue;
    fs::path inc = line.substr(8);
    if (inc.filename() == "Makefile" && inc.is_absolute() && fs::is_directory(inc.parent_path() / "include", ec)) {
      t.src_dir = inc.parent_path();
      break;
    }
  }
  if (!fs::is_directory(t.src_dir / "include" / "linux", ec))
    return make_error(build_dir.string() + ": no include/linux in its source tree " + t.src_dir.string());
  // Debian: scripts -> ../../lib/linux-kbuild-<series>/scripts.
  fs::path scripts = fs::canonical(t.build_dir / "scripts", ec);
  t.kbuild_dir = ec ? t.build_dir : scripts.parent_path();
  return t;
}

std::vector<std::string> kbuild_make_vars(const HeaderTree& tree, const Compiler& compiler) {
  return kernels::build_recipe(as_kernel_headers(tree), compiler.cc.string()).make_args;
}

Result<HeaderTree> header_tree_for(const ResolvedKernel& kernel, const HeadersOptions& options) {
  std::error_code ec;
  Result<HeaderTree> tree = make_error("");
  if (!options.dir.empty()) {
    fs::path dir;
    for (const std::string& name : {kernel.release, kernel.id})
      if (dir.empty() && fs::is_directory(options.dir / name, ec)) dir = options.dir / name;
    if (dir.empty())
      return make_error("no headers for " + kernel.release + " in " + options.dir.string() + " (looked for " +
                        kernel.release + "/ and " + kernel.id + "/)");
    tree = header_tree_at(dir, kernel.release);
  } else if (auto id = kernels::parse_kernel_id(kernel.id); id && kernel.id.rfind("debian-", 0) == 0) {
    kernels::FetchOptions fetch;
    fetch.mirror = options.mirror;
    auto h = kernels::fetch_debian_headers(*id, fetch);
    if (!h) return make_error("headers for " + kernel.id + ": " + h.error().message);
    HeaderTree t;
    t.release = kernel.release;
    t.build_dir = h->build_dir;
    t.src_dir = h->src_dir;
    t.kbuild_dir = h->kbuild_dir;
    t.notes = h->notes;
    tree = t;
  } else if (fs::is_directory("/lib/modules/" + kernel.release + "/build", ec)) {
    tree = header_tree_at("/lib/modules/" + kernel.release + "/build", kernel.release);
  } else {
    return make_error("no headers for " + kernel.release + " (not a Debian kernel; give --headers DIR with DIR/" +
                      kernel.release + ")");
  }
  if (!tree) return tree.error();
  tree->arch = kbuild_arch(kernel.arch);
  tree->kbuild_skip = kbuild_problem(*tree);
  return tree;
}

}  // namespace kgrid::host
