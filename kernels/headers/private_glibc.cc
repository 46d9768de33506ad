#include "kernels/headers/private_glibc.h"

#include <array>

#include "kernels/cache.h"
#include "kernels/headers/elf_glibc.h"
#include "kernels/headers/headers_toolchain.h"
#include "kernels/download/http.h"
#include "kernels/unpack/package_files.h"
#include "util/quote.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;

namespace {

// Debian releases in order; sid comes after all of them.
constexpr std::array<std::string_view, 5> kReleases = {"buster", "bullseye", "bookworm", "trixie", "forky"};

int release_index(std::string_view suite) {
  for (size_t i = 0; i < kReleases.size(); ++i)
    if (kReleases[i] == suite) return static_cast<int>(i);
  return -1;
}

std::string upstream_of(std::string_view debian_version) {
  if (size_t colon = debian_version.find(':'); colon != std::string_view::npos) debian_version.remove_prefix(colon + 1);
  return std::string(debian_version.substr(0, debian_version.find('-')));
}

// The loader and library dir of an unpacked libc6 (amd64), merged /usr or not.
bool locate(const fs::path& root, fs::path* loader, fs::path* lib_dir) {
  std::error_code ec;
  for (const char* dir : {"usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"}) {
    if (!fs::exists(root / dir / "libc.so.6", ec)) continue;
    *lib_dir = root / dir;
    for (const char* ld : {"usr/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2"}) {
      if (fs::exists(root / ld, ec)) {
        *loader = root / ld;
        return true;
      }
    }
    if (fs::exists(root / dir / "ld-linux-x86-64.so.2", ec)) {
      *loader = root / dir / "ld-linux-x86-64.so.2";
      return true;
    }
  }
  return false;
}

PrivateGlibc describe(const std::string& suite, const PackageEntry& e, const fs::path& dir) {
  PrivateGlibc g;
  g.libc6_version = e.version;
  g.glibc = upstream_of(e.version);
  g.suite = suite;
  g.sha256 = e.sha256;
  g.dir = dir;
  return g;
}

// Unpacks libc6 `e` of `suite` into <cache>/glibc/<key> unless it is there.
Result<PrivateGlibc> unpack_glibc(const ArchiveAccess& access, const std::string& suite, const PackageEntry& e) {
  std::string key = e.version + "-" + e.sha256.substr(0, 16);
  for (char& c : key)
    if (c == ':' || c == '/') c = '_';
  PrivateGlibc g = describe(suite, e, access.root / "glibc" / key);
  auto lock = FileLock::acquire(access.root / "locks" / ("glibc-" + key + ".lock"));
  if (!lock) return lock.error();
  auto stamp = read_file(g.dir / "sha256");
  if (stamp && *stamp == e.sha256 + "\n" && locate(g.dir / "root", &g.loader, &g.lib_dir)) return g;
  if (access.offline || access.mirror.empty())
    return make_error("libc6 " + e.version + " is not in " + g.dir.string() + " and kgrid is offline");
  if (is_unsafe_archive_path(e.filename)) return make_error("refusing index Filename \"" + e.filename + "\"");
  TempPath work(temp_path_for(access.root / "glibc" / ("." + key)));
  TempPath local(temp_path_for(access.root / "downloads" / fs::path(e.filename).filename()));
  DownloadOptions dl;
  dl.expected_sha256 = e.sha256;
  dl.expected_size = e.size;
  access.say("downloading libc6 " + e.version + " from " + suite + " (" + std::to_string(e.size / 1000000) + " MB)");
  auto got = download(access.mirror + "/" + e.filename, local.path(), dl);
  if (!got) return got.error();
  Status st = unpack_package(local.path(), work.path() / "root");
  if (!st) return st.error();
  fs::path loader, lib_dir;
  if (!locate(work.path() / "root", &loader, &lib_dir))
    return make_error("libc6 " + e.version + " has no libc.so.6 and ld-linux-x86-64.so.2 where expected");
  st = write_file_atomic(work.path() / "sha256", e.sha256 + "\n");
  if (!st) return st.error();
  std::error_code ec;
  fs::remove_all(g.dir, ec);
  fs::rename(work.path(), g.dir, ec);
  if (ec) return make_error("cannot move libc6 into " + g.dir.string() + ": " + ec.message());
  work.release();
  if (!locate(g.dir / "root", &g.loader, &g.lib_dir)) return make_error("libc6 vanished from " + g.dir.string());
  return g;
}

}  // namespace

std::vector<std::string> glibc_suites(const std::string& host_codename, const std::string& kernel_suite) {
  std::string_view base = kernel_suite;
  if (size_t dash = base.find('-'); dash != std::string_view::npos) base = base.substr(0, dash);
  const int host = release_index(host_codename);
  const int kernel = release_index(base);
  std::vector<std::string> out;
  if (host >= 0) {
    const int last = kernel >= 0 ? kernel : static_cast<int>(kReleases.size()) - 1;
    for (int i = host + 1; i <= last; ++i) out.emplace_back(kReleases[static_cast<size_t>(i)]);
  } else if (kernel >= 0) {
    out.emplace_back(base);
  }
  if (kernel < 0) out.emplace_back("sid");
  return out;
}

bool libc6_provides(std::string_view libc6_version, std::string_view needed) {
  const std::string have = upstream_of(libc6_version);
  return !have.empty() && compare_glibc_versions(have, needed) >= 0;
}

Result<PrivateGlibc> ensure_private_glibc(const ArchiveAccess& access, const std::string& needed,
                                          const std::vector<std::string>& suites) {
  std::string tried;
  for (const auto& suite : suites) {
    std::vector<std::string> ignored;
    auto index = load_suite_index(access, suite, "amd64", [](std::string_view n) { return n == "libc6"; }, &ignored);
    std::string why;
    if (!index) {
      why = index.error().message;
    } else if (auto it = index->packages.find("libc6"); it == index->packages.end()) {
      why = "no libc6";
    } else if (!libc6_provides(it->second.version, needed)) {
      why = "libc6 " + it->second.version + " is too old";
    } else {
      return unpack_glibc(access, suite, it->second);
    }
    tried += (tried.empty() ? "" : "; ") + suite + ": " + why;
  }
  return make_error("no libc6 with glibc " + needed + " or newer to run them with (" +
                    (tried.empty() ? "no suite to look in" : tried) + ")");
}

std::string glibc_wrapper_script(const PrivateGlibc& g, const fs::path& real_tool, const std::string& needed) {
  return "#!/bin/sh\n# kgrid: this tool needs GLIBC_" + needed + "; it runs with the private glibc " + g.glibc +
         " (libc6 " + g.libc6_version + " from " + g.suite + ")\nexec " + shell_quote(g.loader.string()) +
         " --library-path " + shell_quote(g.lib_dir.string()) + " --argv0 \"$0\" " + shell_quote(real_tool.string()) +
         " \"$@\"\n";
}

Result<std::vector<std::string>> wrap_kbuild_tools(const fs::path& kbuild_dir, const fs::path& real_dir,
                                                   const fs::path& final_real_dir, const PrivateGlibc& g,
                                                   const std::string& host_glibc) {
  std::vector<std::string> wrapped;
  std::error_code ec;
  for (const auto& tool : kbuild_glibc_problem(kbuild_dir, host_glibc).tools) {
    const fs::path at = kbuild_dir / tool;
    const std::string need = glibc_needed(at);
    if (need.empty() || compare_glibc_versions(need, g.glibc) > 0) continue;  // stays a problem
    fs::create_directories((real_dir / tool).parent_path(), ec);
    fs::rename(at, real_dir / tool, ec);
    if (ec) return make_error("cannot move " + at.string() + ": " + ec.message());
    Status st = write_file_atomic(at, glibc_wrapper_script(g, final_real_dir / tool, need));
    if (!st) return st.error();
    fs::permissions(at, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec, ec);
    if (ec) return make_error("cannot make " + at.string() + " executable: " + ec.message());
    wrapped.push_back(tool);
  }
  return wrapped;
}

}  // namespace kgrid::kernels
