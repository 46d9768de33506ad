#include "compile/steps.h"

#include <algorithm>
#include <cctype>

#include "compile/headers.h"
#include "kernels/image/config.h"

namespace kgrid::host {

namespace fs = std::filesystem;

std::vector<std::string> kernel_include_flags(const HeaderTree& tree) {
  const std::string s = tree.src_dir.string(), o = tree.build_dir.string(), a = tree.arch;
  return {"-I" + s + "/arch/" + a + "/include",
          "-I" + o + "/arch/" + a + "/include/generated",
          "-I" + s + "/include",
          "-I" + o + "/include",
          "-I" + s + "/arch/" + a + "/include/uapi",
          "-I" + o + "/arch/" + a + "/include/generated/uapi",
          "-I" + s + "/include/uapi",
          "-I" + o + "/include/generated/uapi",
          "-include",
          s + "/include/linux/kconfig.h"};
}

BuildRecipe kmod_recipe(const HeaderTree& tree, const Compiler& compiler, const fs::path& work) {
  BuildRecipe r;
  BuildStep make{{"make", "-C", tree.build_dir.string(), "M=" + work.string()}};
  for (const std::string& v : kbuild_make_vars(tree, compiler)) make.argv.push_back(v);
  make.argv.push_back("modules");
  r.steps.push_back(std::move(make));
  r.artifact = work / "kgrid_kmod.ko";
  r.extension = ".ko";
  return r;
}

BuildRecipe bpf_recipe(const HeaderTree& tree, const Compiler& compiler, const fs::path& work) {
  BuildRecipe r;
  BuildStep clang{{compiler.cc.string()}};
  // clang's own headers (stdarg.h, ...), but not the host's /usr/include.
  if (!compiler.resource_include.empty())
    clang.argv.insert(clang.argv.end(), {"-nostdinc", "-isystem", compiler.resource_include.string()});
  for (const std::string& f : kernel_include_flags(tree)) clang.argv.push_back(f);
  clang.argv.push_back("-I" + work.string());
  for (const char* f : {"-D__KERNEL__", "-D__BPF_TRACING__", "-Wno-unused-value", "-Wno-pointer-sign",
                        "-Wno-compare-distinct-pointer-types", "-Wno-gnu-variable-sized-type-not-at-end",
                        "-Wno-address-of-packed-member", "-Wno-tautological-compare",
                        "-Wno-unknown-warning-option", "-Wno-duplicate-decl-specifier",
                        "-Wno-ignored-attributes", "-fno-stack-protector", "-O2", "-g", "-emit-llvm"})
    clang.argv.push_back(f);
  clang.argv.push_back("-D__TARGET_ARCH_" + tree.arch);
  auto config = kernels::KernelConfig::load(tree.build_dir / ".config");
  // Kernels whose config says so (7.x) use anonymous struct members that need it.
  if (config && config->is_set("CONFIG_CC_MS_EXTENSIONS")) clang.argv.push_back("-fms-extensions");
  clang.argv.insert(clang.argv.end(), {"-c", (work / "kgrid_legacy.bpf.c").string(), "-o",
                                       (work / "kgrid_legacy.bc").string()});
  r.steps.push_back(std::move(clang));
  r.steps.push_back({{compiler.llc.string(), "-march=bpf", "-filetype=obj", (work / "kgrid_legacy.bc").string(),
                      "-o", (work / "kgrid_legacy.o").string()}});
  r.artifact = work / "kgrid_legacy.o";
  r.extension = ".o";
  return r;
}

Result<BuildRecipe> recipe_for(const std::string& driver, const HeaderTree& tree, const Compiler& compiler,
                               const fs::path& work) {
  if (driver == "kmod" && compiler.family == "gcc") return kmod_recipe(tree, compiler, work);
  if (driver == "bpf" && compiler.family == "clang") return bpf_recipe(tree, compiler, work);
  return make_error("driver " + driver + " is not built with " + compiler.name);
}

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(start, end - start);
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
    if (!l.empty()) out.push_back(l);
    start = end + 1;
  }
  return out;
}

std::string tidy(std::string_view line, const fs::path& work) {
  std::string s(line);
  std::string prefix = work.string() + "/";
  for (size_t p; !prefix.empty() && (p = s.find(prefix)) != std::string::npos;) s.erase(p, prefix.size());
  if (s.size() > 300) s = s.substr(0, 297) + "...";
  return s;
}

}  // namespace

std::string first_error_line(std::string_view log, const fs::path& work) {
  std::vector<std::string_view> lines = lines_of(log);
  auto find = [&](auto pred) -> std::string {
    auto it = std::find_if(lines.begin(), lines.end(), pred);
    return it == lines.end() ? "" : tidy(*it, work);
  };
  std::string s = find([](std::string_view l) {
    return l.find(": error:") != std::string_view::npos || l.find(": fatal error:") != std::string_view::npos ||
           l.find("error: ") == 0;
  });
  if (s.empty()) s = find([](std::string_view l) { return l.find("ERROR:") != std::string_view::npos; });
  if (s.empty()) s = find([](std::string_view l) { return l.find("*** ") != std::string_view::npos; });
  if (s.empty() && !lines.empty()) s = tidy(lines.back(), work);
  return s;
}

}  // namespace kgrid::host
