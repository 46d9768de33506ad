#include "kernels/headers/headers_toolchain.h"

#include <algorithm>
#include <cstdlib>

#include "kernels/cache.h"
#include "kernels/image/config.h"
#include "kernels/headers/elf_glibc.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;

namespace {

// Whether `cc` accepts `flag` (compiles an empty file).
bool compiler_accepts(const std::string& cc, const std::string& flag) {
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  auto r = run_process({cc, flag, "-Werror", "-x", "c", "-c", "-o", "/dev/null", "/dev/null"}, o);
  return r && r->ok();
}

std::string default_gcc() {
  for (const char* cc : {"gcc", "cc"})
    if (program_available(cc)) return cc;
  return "gcc";
}

}  // namespace

int pahole_version_number(std::string_view text) {
  size_t i = text.find_first_of("0123456789");
  if (i == std::string_view::npos) return 0;
  int major = 0, minor = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') major = major * 10 + (text[i++] - '0');
  if (i >= text.size() || text[i] != '.') return 0;
  ++i;
  size_t start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') minor = minor * 10 + (text[i++] - '0');
  if (i == start) return 0;
  return major * 100 + minor;
}

namespace {

// The installed pahole as kbuild counts it (v1.24 -> 124); 0 if none.
int installed_pahole() {
  if (!program_available("pahole")) return 0;
  ProcessOptions o;
  o.timeout = std::chrono::seconds(30);
  auto r = run_process({"pahole", "--version"}, o);
  return r && r->ok() ? pahole_version_number(r->out) : 0;
}

}  // namespace

std::string kernel_compiler(const fs::path& build_dir) {
  auto text = read_file(build_dir / ".kernelvariables");
  if (!text) return "";
  std::string_view t = *text;
  while (!t.empty()) {
    size_t nl = t.find('\n');
    std::string_view line = t.substr(0, nl);
    t = nl == std::string_view::npos ? std::string_view() : t.substr(nl + 1);
    if (!line.starts_with("CC =") && !line.starts_with("CC=")) continue;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    std::string_view last = line.substr(line.find_last_of(" )") + 1);
    return std::string(last);
  }
  return "";
}

GlibcProblem kbuild_glibc_problem(const fs::path& kbuild_dir, const std::string& host_glibc) {
  GlibcProblem p;
  std::error_code ec;
  const fs::path root = fs::canonical(kbuild_dir, ec);
  if (ec) return p;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code fec;
    if (it->is_symlink(fec) || !it->is_regular_file(fec)) continue;
    std::string need = glibc_needed(it->path());
    if (need.empty() || compare_glibc_versions(need, host_glibc) <= 0) continue;
    p.tools.push_back(it->path().lexically_relative(root).string());
    if (p.needed.empty() || compare_glibc_versions(need, p.needed) > 0) p.needed = need;
  }
  std::sort(p.tools.begin(), p.tools.end());
  return p;
}

BuildRecipe build_recipe(const KernelHeaders& h, const std::string& cc) {
  BuildRecipe r;
  r.kernel_cc = kernel_compiler(h.build_dir);
  if (!cc.empty()) {
    r.cc = cc;
  } else if (!r.kernel_cc.empty() && program_available(r.kernel_cc)) {
    r.cc = r.kernel_cc;
  } else {
    r.cc = default_gcc();
    if (!r.kernel_cc.empty()) r.notes.push_back("the kernel was built with " + r.kernel_cc + ", which is not installed; using " + r.cc);
  }
  r.make_args.push_back("CC=" + r.cc);
  auto config = KernelConfig::load(h.build_dir / ".config");
  if (config) {
    if (config->is_set("CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT") && !compiler_accepts(r.cc, "-fmin-function-alignment=16")) {
      r.make_args.push_back("CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=");
      r.notes.push_back(r.cc + " lacks -fmin-function-alignment: kbuild uses -falign-functions instead");
    }
    if (config->is_set("CONFIG_DEBUG_INFO_BTF_MODULES")) {
      // kbuild picks pahole's flags by the version the kernel was built with
      // (CONFIG_PAHOLE_VERSION), so an older pahole here fails on them.
      const int have = installed_pahole();
      const auto kernel_pahole = config->value("CONFIG_PAHOLE_VERSION");
      const int want = kernel_pahole ? std::atoi(kernel_pahole->c_str()) : 0;
      if (have == 0) {
        r.make_args.push_back("CONFIG_DEBUG_INFO_BTF_MODULES=");
        r.notes.push_back("pahole (dwarves) is not installed: modules are built without BTF");
      } else if (have < want) {
        r.make_args.push_back("CONFIG_DEBUG_INFO_BTF_MODULES=");
        r.notes.push_back("pahole " + std::to_string(have / 100) + "." + std::to_string(have % 100) +
                          " is older than the " + std::to_string(want / 100) + "." + std::to_string(want % 100) +
                          " this kernel was built with (kbuild would pass it flags it does not know): "
                          "modules are built without BTF");
      }
    }
  } else {
    r.notes.push_back("cannot read " + (h.build_dir / ".config").string() + ": " + config.error().message);
  }
  GlibcProblem g = kbuild_glibc_problem(h.kbuild_dir, this_glibc());
  if (!g.needed.empty()) {
    r.modules_ok = false;
    std::string tools;
    for (const auto& t : g.tools) tools += (tools.empty() ? "" : ", ") + fs::path(t).filename().string();
    r.reason = "kbuild host tools need GLIBC_" + g.needed + ", this machine has glibc " + this_glibc() + " (" +
               fs::path(h.kbuild_dir).filename().string() + ": " + tools + ")";
  }
  return r;
}

Result<ProcessResult> build_test_module(const KernelHeaders& h, const BuildRecipe& recipe, const fs::path& work_dir) {
  Status st = write_file_atomic(work_dir / "kgrid_hello.c",
                                "#include <linux/module.h>\n#include <linux/init.h>\n"
                                "static int __init kgrid_hello_init(void) { pr_info(\"kgrid hello\\n\"); return 0; }\n"
                                "static void __exit kgrid_hello_exit(void) {}\n"
                                "module_init(kgrid_hello_init);\nmodule_exit(kgrid_hello_exit);\n"
                                "MODULE_LICENSE(\"GPL\");\n");
  if (!st) return st.error();
  st = write_file_atomic(work_dir / "Makefile", "obj-m := kgrid_hello.o\n");
  if (!st) return st.error();
  std::vector<std::string> argv = {"make", "-C", h.build_dir.string(), "M=" + fs::absolute(work_dir).string()};
  argv.insert(argv.end(), recipe.make_args.begin(), recipe.make_args.end());
  argv.push_back("modules");
  ProcessOptions o;
  o.timeout = std::chrono::seconds(300);
  return run_process(argv, o);
}

}  // namespace kgrid::kernels
