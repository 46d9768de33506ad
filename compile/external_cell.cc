#include "compile/external_cell.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <system_error>

#include "common/unique_fd.h"
#include "compile/cache.h"
#include "compile/external.h"
#include "compile/steps.h"
#include "kernels/sha256.h"

namespace kgrid::host {

namespace fs = std::filesystem;

namespace {

std::string cache_key(const BuildCell& c, const std::vector<std::string>& env) {
  const ExternalDriver& d = *c.external;
  kernels::Sha256 h;
  h.update("kgrid-build-external-v1\n" + d.tree_hash + "\n" + d.cmd + "\n" + d.artifact + "\n" + d.kind + "\n" +
           c.compiler.name + "\n" + c.compiler.version_text + "\n");
  for (const std::string& e : env)  // the cell's own paths do not change what it builds
    if (e.rfind("SRC=", 0) != 0 && e.rfind("OUT=", 0) != 0) h.update(e + "\n");
  h.update(read_text(c.tree->build_dir / ".config"));
  h.update(read_text(c.tree->build_dir / "Module.symvers"));
  return h.hex_digest();
}

bool matches(const std::string& pattern, const fs::path& rel) {
  return ::fnmatch(pattern.c_str(), rel.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
}

std::string names_of(const std::vector<fs::path>& files, const fs::path& dir) {
  std::string out;
  for (const fs::path& f : files) out += (out.empty() ? "" : ", ") + f.lexically_relative(dir).string();
  return out;
}

}  // namespace

BuildOutcome build_external_cell(const BuildCell& c, const BuildGridOptions& o) {
  const ExternalDriver& d = *c.external;
  const auto t0 = std::chrono::steady_clock::now();
  BuildOutcome r;
  r.kernel_id = c.kernel_id;
  r.release = c.release;
  r.driver = d.name;
  r.compiler = c.compiler.name;
  r.kind = d.kind;
  const fs::path base = o.out / "build" / c.kernel_id;
  const std::string stem = d.name + "-" + c.compiler.name;
  const fs::path work = base / stem, src = work / "src", out = work / "out";
  const fs::path artifact = base / (stem + (d.kind == "kmod" ? ".ko" : ".o"));
  r.log = base / (stem + ".log");
  auto finish = [&](BuildVerdict v, std::string reason) {
    r.verdict = v;
    r.reason = std::move(reason);
    r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };
  std::error_code ec;
  fs::create_directories(base, ec);
  UniqueFd log(::open(r.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!log.valid()) return finish(BuildVerdict::BuildFail, "cannot write " + r.log.string() + ": " + std::strerror(errno));
  auto fail = [&](BuildVerdict v, const std::string& why) {
    log_write(log.get(), std::string(build_verdict_name(v)) + ": " + why + "\n");
    return finish(v, why);
  };
  log_write(log.get(), "kgrid build: kernel " + c.kernel_id + " (" + c.release + "), driver " + d.name + " (" + d.kind +
                           ", from " + d.src.string() + "), compiler " + c.compiler.name + "\n");

  std::string skip = c.skip_reason;
  if (skip.empty() && !c.tree) skip = "no kernel headers";
  if (skip.empty() && d.kind == "kmod") skip = c.tree->kbuild_skip;
  if (!skip.empty()) return fail(BuildVerdict::Skip, skip);

  fs::remove_all(work, ec);
  fs::remove(artifact, ec);
  const std::vector<std::string> env = external_build_env(d, c.kernel_id, *c.tree, c.compiler, src, out);
  const std::string key = o.cache.empty() ? "" : cache_key(c, env);
  if (build_cache_fetch(o.cache, key, artifact, log.get())) {
    r.artifact = artifact;
    r.cached = true;
    return finish(BuildVerdict::Built, "");
  }

  if (auto st = copy_source_tree(d.src, d.tree, src); !st) return fail(BuildVerdict::BuildFail, st.error().message);
  fs::create_directories(out, ec);
  if (ec) return fail(BuildVerdict::BuildFail, "cannot create " + out.string() + ": " + ec.message());
  // Files of the tree that already match the pattern (left over from a build
  // in DIR) count as the artifact only if the build rewrote them.
  std::map<fs::path, fs::file_time_type> stale;
  for (const TreeEntry& e : d.tree)
    if (e.type == TreeEntry::Type::File && matches(d.artifact, e.rel)) stale[e.rel] = fs::last_write_time(src / e.rel, ec);

  std::string header = "$ /bin/sh -c '" + d.cmd + "'\nkgrid build: in SRC, with:\n";
  for (const std::string& e : env) header += "  " + e + "\n";
  log_write(log.get(), header);
  const off_t before = std::max<off_t>(::lseek(log.get(), 0, SEEK_END), 0);
  auto rc = run_logged_env({"/bin/sh", "-c", d.cmd}, src, log.get(), o.timeout_s, env);
  if (!rc) return fail(BuildVerdict::BuildFail, rc.error().message);
  if (rc->timed_out) return fail(BuildVerdict::Timeout, timeout_reason(o.timeout_s));
  if (rc->exit_code != 0) {
    std::string all = read_text(r.log);
    std::string excerpt = first_error_line(std::string_view(all).substr(std::min(all.size(), static_cast<size_t>(before))), src);
    std::string status = "the build command exited with status " + std::to_string(rc->exit_code);
    log_write(log.get(), "BUILD_FAIL: " + status + "\n");
    return finish(BuildVerdict::BuildFail, excerpt.empty() ? status : excerpt);
  }

  std::vector<fs::path> found = match_artifacts(out, d.artifact);
  fs::path where = out;
  std::string where_name = "OUT";
  if (found.empty()) {
    where = src;
    where_name = "SRC";
    for (const fs::path& f : match_artifacts(src, d.artifact)) {
      auto it = stale.find(f.lexically_relative(src));
      if (it == stale.end() || fs::last_write_time(f, ec) != it->second) found.push_back(f);
    }
  }
  if (found.empty())
    return fail(BuildVerdict::BuildFail,
                "build succeeded but produced no file matching '" + d.artifact + "' in OUT (nor a new one in SRC)");
  if (found.size() > 1)
    return fail(BuildVerdict::BuildFail, "build produced " + std::to_string(found.size()) + " files matching '" +
                                             d.artifact + "' in " + where_name + " (" + names_of(found, where) +
                                             "): choose one with --artifact");
  if (std::string bad = check_artifact_kind(found[0], d.kind); !bad.empty()) return fail(BuildVerdict::BuildFail, bad);
  if (!copy_file_atomic(found[0], artifact))
    return fail(BuildVerdict::BuildFail, "cannot copy the artifact to " + artifact.string());
  r.artifact = artifact;
  log_write(log.get(), "BUILT: " + artifact.string() + " (from " + where_name + "/" +
                           found[0].lexically_relative(where).string() + ")\n");
  build_cache_store(o.cache, key, artifact, r.log);
  return finish(BuildVerdict::Built, "");
}

}  // namespace kgrid::host
