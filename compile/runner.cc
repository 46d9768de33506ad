#include "compile/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "compile/cache.h"
#include "compile/compilers.h"
#include "compile/external_cell.h"
#include "compile/headers.h"
#include "kernels/sha256.h"
#include "probes/driver_sources.h"

extern char** environ;

namespace kgrid::host {

namespace fs = std::filesystem;

namespace {

std::string quote_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                   "0123456789-_./=:+,@%") == std::string::npos;
    if (!out.empty()) out += ' ';
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

// The environment of build commands: ours, minus what would change how make
// or kbuild behave, plus LC_ALL=C, plus `extra` (which replaces what it names).
std::vector<std::string> build_environment(const std::vector<std::string>& extra) {
  static const char* const drop[] = {"MAKEFLAGS=", "MFLAGS=", "MAKELEVEL=", "MAKEFILES=", "ARCH=",
                                     "CROSS_COMPILE=", "KBUILD_OUTPUT=", "LC_ALL=", "LANG=", "LANGUAGE="};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view v(*e);
    bool skip = false;
    for (const char* d : drop) skip = skip || v.rfind(d, 0) == 0;
    for (const std::string& x : extra) skip = skip || v.substr(0, v.find('=') + 1) == x.substr(0, x.find('=') + 1);
    if (!skip) env.emplace_back(v);
  }
  env.emplace_back("LC_ALL=C");
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

fs::path resolve_exe(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  for (const fs::path& d : path_dirs_from_env()) {
    fs::path p = d / name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return name;
}

// Runs `argv` and returns its stdout (for compiler probes).
Result<std::string> capture(const std::vector<std::string>& argv) {
  char tmpl[] = "/tmp/kgrid-probe-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) return make_error(std::string("mkstemp: ") + std::strerror(errno));
  ::unlink(tmpl);
  auto rc = run_logged(argv, "/", fd, 60);
  std::string out;
  if (rc && *rc == 0) {
    ::lseek(fd, 0, SEEK_SET);
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!rc) return rc.error();
  if (*rc != 0) return make_error(quote_argv(argv) + " exited with status " + std::to_string(*rc));
  return out;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// The driver's files: the embedded ones, or those of --sources DIR/<driver>/.
std::vector<std::pair<std::string, std::string>> driver_source_files(const BuildCell& c) {
  std::vector<std::pair<std::string, std::string>> files;
  if (c.sources.empty()) {
    for (const auto& f : probe::driver_files(c.driver)) files.emplace_back(std::string(f.path), std::string(f.data));
    return files;
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(c.sources / c.driver, ec))
    if (e.is_regular_file(ec)) files.emplace_back(e.path().filename().string(), read_text(e.path()));
  std::sort(files.begin(), files.end());
  return files;
}

std::string cache_key(const BuildCell& c, const BuildRecipe& recipe, const fs::path& work) {
  kernels::Sha256 h;
  h.update("kgrid-build-v1\n" + c.driver + "\n" + c.compiler.name + "\n" + c.compiler.version_text + "\n");
  for (const auto& [name, data] : driver_source_files(c)) {
    h.update(name + "\n" + std::to_string(data.size()) + "\n");
    h.update(data);
  }
  std::string w = work.string();
  for (const BuildStep& s : recipe.steps) {
    std::string line = quote_argv(s.argv);
    for (size_t p; (p = line.find(w)) != std::string::npos;) line.replace(p, w.size(), "@WORK@");
    h.update(line + "\n");
  }
  h.update(read_text(c.tree->build_dir / ".config"));
  if (c.driver == "kmod") h.update(read_text(c.tree->build_dir / "Module.symvers"));
  return h.hex_digest();
}

BuildOutcome build_cell(const BuildCell& c, const BuildGridOptions& o) {
  if (c.external) return build_external_cell(c, o);
  auto t0 = std::chrono::steady_clock::now();
  BuildOutcome r;
  r.kernel_id = c.kernel_id;
  r.release = c.release;
  r.driver = c.driver;
  r.compiler = c.compiler.name;
  const fs::path base = o.out / "build" / c.kernel_id;
  const std::string stem = c.driver + "-" + c.compiler.name;
  const fs::path work = base / stem;
  r.log = base / (stem + ".log");
  std::error_code ec;
  fs::create_directories(base, ec);
  auto finish = [&](BuildVerdict v, std::string reason) {
    r.verdict = v;
    r.reason = std::move(reason);
    r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };
  int log = ::open(r.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return finish(BuildVerdict::BuildFail, "cannot write " + r.log.string() + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{log};
  log_write(log, "kgrid build: kernel " + c.kernel_id + " (" + c.release + "), driver " + c.driver +
                     ", compiler " + c.compiler.name + "\n");

  std::string skip = c.tree ? "" : c.skip_reason;
  if (c.tree && c.driver == "kmod" && !c.tree->kbuild_skip.empty()) skip = c.tree->kbuild_skip;
  if (!skip.empty()) {
    log_write(log, "SKIP: " + skip + "\n");
    return finish(BuildVerdict::Skip, skip);
  }

  fs::remove_all(work, ec);
  auto sources = driver_source_files(c);
  if (sources.empty())
    return finish(BuildVerdict::BuildFail, "no sources for driver " + c.driver + " in " + (c.sources / c.driver).string());
  fs::create_directories(work, ec);
  for (const auto& [name, data] : sources) {
    std::ofstream f(work / name, std::ios::binary);
    f << data;
    if (!f) return finish(BuildVerdict::BuildFail, "cannot write " + (work / name).string());
  }
  if (!c.sources.empty()) log_write(log, "kgrid build: sources from " + (c.sources / c.driver).string() + "\n");
  auto recipe = recipe_for(c.driver, *c.tree, c.compiler, work);
  if (!recipe) return finish(BuildVerdict::Skip, recipe.error().message);
  const fs::path artifact = base / (stem + recipe->extension);
  fs::remove(artifact, ec);

  std::string key = o.cache.empty() ? "" : cache_key(c, *recipe, work);
  if (build_cache_fetch(o.cache, key, artifact, log)) {
    r.artifact = artifact;
    r.cached = true;
    return finish(BuildVerdict::Built, "");
  }

  for (const BuildStep& step : recipe->steps) {
    log_write(log, "$ " + quote_argv(step.argv) + "\n");
    off_t before = ::lseek(log, 0, SEEK_END);
    auto rc = run_logged_env(step.argv, work, log, o.timeout_s, {});
    const std::string program = fs::path(step.argv[0]).filename().string();
    if (rc && rc->timed_out) {
      std::string what = timeout_reason(o.timeout_s) + ": " + program;
      log_write(log, "TIMEOUT: " + what + "\n");
      return finish(BuildVerdict::Timeout, what);
    }
    if (!rc || rc->exit_code != 0) {
      std::string all = read_text(r.log);
      std::string excerpt = first_error_line(std::string_view(all).substr(static_cast<size_t>(std::max<off_t>(before, 0))), work);
      std::string what = !rc ? rc.error().message : program + " exited with status " + std::to_string(rc->exit_code);
      log_write(log, "BUILD_FAIL: " + what + "\n");
      return finish(BuildVerdict::BuildFail, excerpt.empty() ? what : excerpt);
    }
  }
  if (!fs::is_regular_file(recipe->artifact, ec))
    return finish(BuildVerdict::BuildFail, "the build succeeded but left no " + recipe->artifact.filename().string());
  if (!copy_file_atomic(recipe->artifact, artifact))
    return finish(BuildVerdict::BuildFail, "cannot copy the artifact to " + artifact.string());
  r.artifact = artifact;
  log_write(log, "BUILT: " + artifact.string() + "\n");

  build_cache_store(o.cache, key, artifact, r.log);
  return finish(BuildVerdict::Built, "");
}

}  // namespace

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void log_write(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

std::string timeout_reason(double timeout_s) {
  return "build timed out after " + std::to_string(static_cast<long long>(timeout_s)) + "s (killed)";
}

Result<int> run_logged(const std::vector<std::string>& argv, const fs::path& cwd, int log_fd, double timeout_s) {
  auto r = run_logged_env(argv, cwd, log_fd, timeout_s, {});
  if (!r) return r.error();
  if (r->timed_out)
    return make_error(fs::path(argv[0]).filename().string() + " timed out after " +
                      std::to_string(static_cast<int>(timeout_s)) + "s");
  return r->exit_code;
}

Result<LoggedExit> run_logged_env(const std::vector<std::string>& argv, const fs::path& cwd, int log_fd,
                                  double timeout_s, const std::vector<std::string>& extra_env) {
  if (argv.empty()) return make_error("empty command");
  const std::string exe = resolve_exe(argv[0]).string();
  std::vector<std::string> env = build_environment(extra_env);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string dir = cwd.string();
  const std::string exec_failed = "kgrid: cannot execute " + exe + "\n";

  pid_t pid = ::fork();
  if (pid < 0) return make_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::chdir(dir.c_str()) == 0) ::execve(exe.c_str(), args.data(), envp.data());
    (void)!::write(2, exec_failed.data(), exec_failed.size());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here, so the kill below cannot miss
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool timed_out = false;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
      if (n > 0) break;
      if (n < 0 && errno != EINTR) break;
    }
    ::close(pidfd);
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::kill(-pid, SIGKILL);  // whatever the command left running in its group
  LoggedExit r;
  r.timed_out = timed_out;
  r.timeout_s = timeout_s;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

Status probe_compiler(Compiler& compiler) {
  auto version = capture({compiler.cc.string(), "--version"});
  if (!version) return version.error();
  compiler.version_text = first_line(*version);
  if (compiler.family == "clang") {
    auto inc = capture({compiler.cc.string(), "-print-file-name=include"});
    if (!inc) return inc.error();
    compiler.resource_include = first_line(*inc);
  }
  return ok_status();
}

std::vector<BuildOutcome> run_build_grid(const std::vector<BuildCell>& cells, const BuildGridOptions& options) {
  std::vector<BuildOutcome> results(cells.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable cv;
  std::deque<size_t> finished;
  size_t workers = std::max<size_t>(1, std::min(options.jobs, cells.size()));
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < cells.size();) {
        BuildOutcome r = build_cell(cells[i], options);
        std::lock_guard lock(mu);
        results[i] = std::move(r);
        finished.push_back(i);
        cv.notify_one();
      }
    });
  }
  for (size_t done = 0; done < cells.size();) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return !finished.empty(); });
    size_t i = finished.front();
    finished.pop_front();
    ++done;
    BuildOutcome copy = results[i];
    lock.unlock();
    if (options.on_done) options.on_done(copy, done, cells.size());
  }
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace kgrid::host
