#include "kernels/headers/headers.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "kernels/cache.h"
#include "kernels/unpack/deb.h"
#include "kernels/debian/debian.h"
#include "kernels/headers/elf_glibc.h"
#include "kernels/download/http.h"
#include "kernels/unpack/package_files.h"
#include "kernels/headers/private_glibc.h"
#include "kernels/debian/version.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool headers_or_kbuild(std::string_view name) {
  return name.starts_with("linux-headers-") || name.starts_with("linux-kbuild-");
}

HeaderPackage header_package(const PackageEntry& e, const std::string& suite) {
  return HeaderPackage{e.name, e.version, suite, e.sha256, e.size};
}

struct Plan {
  std::vector<std::pair<HeaderPackage, std::string>> debs;  // package, Filename
  std::string kbuild_name;            // what the headers expect: linux-kbuild-<x>
  std::string kbuild_used;            // what is installed (differs for the fallback)
  std::string glibc_needed;           // the kbuild used needs this newer glibc: "2.38"
  std::vector<std::string> notes;
};

// Picks the packages; `host_glibc` decides whether the kbuild's host tools
// can run here, else a backports kbuild of the same series is looked for.
Result<Plan> plan_packages(const ArchiveAccess& access, const KernelId& id, const std::string& host_glibc,
                           std::vector<std::string>* warnings) {
  auto index = load_suite_index(access, id.suite, id.arch, headers_or_kbuild, warnings);
  if (!index) return index.error();
  const PackageIndex& pk = index->packages;
  const std::string flavor_name = "linux-headers-" + id.abi;
  auto flavor = pk.find(flavor_name);
  if (flavor == pk.end()) return make_error(id.suite + ": no package " + flavor_name + " in the index");
  Plan plan;
  plan.debs.push_back({header_package(flavor->second, id.suite), flavor->second.filename});
  std::string common, kbuild;
  for (const auto& dep : first_alternatives(flavor->second.depends)) {
    if (dep.starts_with("linux-headers-") && dep.ends_with("-common")) common = dep;
    if (dep.starts_with("linux-kbuild-")) kbuild = dep;
  }
  if (common.empty() || kbuild.empty()) {
    return make_error(flavor_name + " does not depend on a linux-headers-*-common and a linux-kbuild-* package");
  }
  for (const std::string& name : {common, kbuild}) {
    auto it = pk.find(name);
    if (it == pk.end()) return make_error(id.suite + ": " + flavor_name + " needs " + name + ", which is not in the index");
    plan.debs.push_back({header_package(it->second, id.suite), it->second.filename});
  }
  plan.kbuild_name = plan.kbuild_used = kbuild;
  const std::string need = libc6_requirement(pk.at(kbuild).depends);
  if (need.empty() || compare_glibc_versions(need, host_glibc) <= 0) return plan;
  plan.glibc_needed = need;

  // The suite's host tools cannot run here: try this machine's backports.
  const std::string codename = host_codename();
  auto parts = parse_abi(id.abi, id.arch);
  if (codename.empty() || !parts || id.suite == codename + "-backports") return plan;
  std::vector<std::string> ignored;
  auto bpo = load_suite_index(access, codename + "-backports", id.arch, headers_or_kbuild, &ignored);
  if (!bpo) {
    plan.notes.push_back("no " + codename + "-backports kbuild to fall back on: " + bpo.error().message);
    return plan;
  }
  const PackageEntry* best = nullptr;
  for (const auto& [name, e] : bpo->packages) {
    if (!name.starts_with("linux-kbuild-" + parts->series)) continue;
    std::string_view rest = std::string_view(name).substr(13 + parts->series.size());
    if (!rest.empty() && rest.front() != '.' && rest.front() != '+') continue;  // 6.1 must not match 6.12
    std::string n = libc6_requirement(e.depends);
    if (!n.empty() && compare_glibc_versions(n, host_glibc) > 0) continue;
    if (!best || compare_debian_versions(e.version, best->version) > 0) best = &e;
  }
  if (!best) return plan;
  plan.debs.back() = {header_package(*best, codename + "-backports"), best->filename};
  plan.kbuild_used = best->name;
  plan.glibc_needed.clear();
  plan.notes.push_back(kbuild + " needs glibc " + need + " (this machine has " + host_glibc + "); using " + best->name +
                       " " + best->version + " from " + codename + "-backports instead");
  return plan;
}

// The wrappers' layout; a change re-assembles the trees that have wrappers.
constexpr int kGlibcWrappers = 1;

json meta_of(const std::vector<HeaderPackage>& packages, const Plan& plan, const std::optional<PrivateGlibc>& glibc) {
  json pk = json::array();
  for (const auto& p : packages)
    pk.push_back({{"name", p.name}, {"version", p.version}, {"suite", p.suite}, {"sha256", p.sha256}, {"size", p.size}});
  json meta = {{"packages", pk}, {"kbuild", plan.kbuild_name}, {"kbuild_used", plan.kbuild_used}, {"notes", plan.notes}};
  // Only trees with wrappers carry this, so older trees without them stay valid.
  if (glibc)
    meta["private_glibc"] = {{"libc6", glibc->libc6_version}, {"suite", glibc->suite}, {"sha256", glibc->sha256},
                             {"dir", glibc->dir.string()}, {"wrappers", kGlibcWrappers}};
  return meta;
}

std::string glibc_note(const Plan& plan, const PrivateGlibc& g, const std::vector<std::string>& wrapped) {
  std::string tools;
  for (const auto& t : wrapped) tools += (tools.empty() ? "" : ", ") + fs::path(t).filename().string();
  return "kbuild host tools need GLIBC_" + plan.glibc_needed + ": running them with a private glibc " + g.glibc +
         " from " + g.suite + " (libc6 " + g.libc6_version + "; " + tools + ")";
}

// Rewrites absolute /usr/src/ paths in the flavor Makefile to `root`/usr/src/.
Status fix_makefile(const fs::path& makefile, const fs::path& final_root) {
  auto text = read_file(makefile);
  if (!text) return text.error();
  std::string out;
  const std::string to = (final_root / "usr" / "src").string() + "/";
  size_t pos = 0;
  for (;;) {
    size_t at = text->find("/usr/src/", pos);
    if (at == std::string::npos) break;
    // Only where a path starts: after a space, '=' or a line start.
    const bool starts = at == 0 || (*text)[at - 1] == ' ' || (*text)[at - 1] == '=' || (*text)[at - 1] == '\n';
    out.append(*text, pos, at - pos);
    out += starts ? to : "/usr/src/";
    pos = at + 9;
  }
  out.append(*text, pos, std::string::npos);
  return write_file_atomic(makefile, out);
}

}  // namespace

std::string host_codename(const fs::path& os_release) {
  auto text = read_file(os_release);
  if (!text) return "";
  size_t at = text->find("VERSION_CODENAME=");
  if (at == std::string::npos) return "";
  std::string v = text->substr(at + 17, text->find('\n', at) - at - 17);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

std::string libc6_requirement(std::string_view depends) {
  size_t at = depends.find("libc6 (>=");
  if (at == std::string_view::npos) return "";
  std::string_view rest = depends.substr(at + 9);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  std::string v(rest.substr(0, rest.find(')')));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v.substr(0, v.find('-'));  // "2.38-1" -> "2.38"
}

Result<KernelHeaders> fetch_debian_headers(const KernelId& id, const FetchOptions& options) {
  auto access = archive_access(options);
  if (!access) return access.error();
  KernelHeaders h;
  h.id = "debian-" + id.suite + "-" + id.abi;
  h.suite = id.suite;
  h.abi = id.abi;
  h.arch = id.arch;
  const fs::path dir = access->root / "headers" / h.id;
  h.root = dir / "root";
  h.build_dir = h.root / "usr" / "src" / ("linux-headers-" + id.abi);

  std::vector<std::string> warnings;
  const std::string host_glibc = this_glibc();
  auto plan = plan_packages(*access, id, host_glibc, &warnings);
  if (!plan) return plan.error();
  for (const auto& [p, filename] : plan->debs) h.packages.push_back(p);
  h.notes = plan->notes;
  // No kbuild whose tools run here: run them with a newer glibc.
  std::optional<PrivateGlibc> glibc;
  if (!plan->glibc_needed.empty() && id.arch == "amd64") {
    auto g = ensure_private_glibc(*access, plan->glibc_needed, glibc_suites(host_codename(), id.suite));
    if (g) glibc = *g;
    else h.notes.push_back("kbuild host tools need GLIBC_" + plan->glibc_needed + ": " + g.error().message);
  }
  h.notes.insert(h.notes.end(), warnings.begin(), warnings.end());

  auto lock = FileLock::acquire(access->root / "locks" / ("headers-" + h.id + ".lock"));
  if (!lock) return lock.error();
  const json want = meta_of(h.packages, *plan, glibc);
  const fs::path libexec = fs::path("usr") / "libexec" / "kgrid-glibc" / plan->kbuild_used;  // the wrapped tools
  auto have_text = read_file(dir / "meta.json");
  json have = have_text ? json::parse(*have_text, nullptr, false) : json();
  std::vector<std::string> wrapped;
  if (have.is_object() && have.contains("wrapped")) {
    if (have["wrapped"].is_array())
      for (const auto& t : have["wrapped"])
        if (t.is_string()) wrapped.push_back(t.get<std::string>());
    have.erase("wrapped");
  }
  std::error_code ec;
  if (have == want && fs::is_directory(h.build_dir, ec)) {
    h.from_cache = true;
  } else {
    wrapped.clear();
    if (access->offline) return make_error(h.id + ": offline (KGRID_OFFLINE) and its headers are not in " + dir.string());
    TempPath work(temp_path_for(access->root / "headers" / ("." + h.id)));
    UnpackStats stats;
    for (const auto& [p, filename] : plan->debs) {
      if (is_unsafe_archive_path(filename)) return make_error("refusing index Filename \"" + filename + "\"");
      TempPath local(temp_path_for(access->root / "downloads" / fs::path(filename).filename()));
      DownloadOptions dl;
      dl.expected_sha256 = p.sha256;
      dl.expected_size = p.size;
      access->say("downloading " + p.name + " " + p.version + " (" + std::to_string(p.size / 1000000) + " MB)");
      auto got = download(access->mirror + "/" + filename, local.path(), dl);
      if (!got) return got.error();
      Status st = unpack_package(local.path(), work.path() / "root", &stats);
      if (!st) return st.error();
    }
    // The headers' scripts/tools symlinks name the suite's kbuild directory.
    if (plan->kbuild_used != plan->kbuild_name) {
      const fs::path lib = work.path() / "root" / "usr" / "lib";
      fs::create_symlink(plan->kbuild_used, lib / plan->kbuild_name, ec);
      if (ec) return make_error("cannot link " + plan->kbuild_name + ": " + ec.message());
    }
    if (glibc) {
      auto w = wrap_kbuild_tools(work.path() / "root" / "usr" / "lib" / plan->kbuild_used, work.path() / "root" / libexec,
                                 h.root / libexec, *glibc, host_glibc);
      if (!w) return w.error();
      wrapped = *w;
    }
    const fs::path flavor_dir = work.path() / "root" / "usr" / "src" / ("linux-headers-" + id.abi);
    Status st = fix_makefile(flavor_dir / "Makefile", h.root);
    if (!st) return st.error();
    json meta = want;
    if (glibc) meta["wrapped"] = wrapped;
    st = write_file_atomic(work.path() / "meta.json", meta.dump(2) + "\n");
    if (!st) return st.error();
    fs::remove_all(dir, ec);
    fs::create_directories(dir.parent_path(), ec);
    fs::rename(work.path(), dir, ec);
    if (ec) return make_error("cannot move the headers into " + dir.string() + ": " + ec.message());
    work.release();
  }
  touch_last_used(dir);
  if (glibc && !wrapped.empty()) h.notes.push_back(glibc_note(*plan, *glibc, wrapped));
  for (const auto& p : h.packages) {
    if (p.name.ends_with("-common")) h.src_dir = h.root / "usr" / "src" / p.name;
  }
  h.kbuild_dir = h.root / "usr" / "lib" / plan->kbuild_used;
  return h;
}

}  // namespace kgrid::kernels
