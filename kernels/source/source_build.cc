#include "kernels/source/source_build.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "kernels/cache.h"
#include "kernels/image/config.h"
#include "kernels/image/image.h"
#include "kernels/image/preflight.h"
#include "kernels/source/source_config.h"
#include "util/process.h"

namespace kgrid::kernels {
namespace fs = std::filesystem;

std::string make_failure_line(std::string_view log) {
  std::string_view last;
  std::string_view fallback;
  size_t pos = 0;
  while (pos < log.size()) {
    size_t nl = log.find('\n', pos);
    std::string_view line = log.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? log.size() : nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    last = line;
    if (line.find("error:") != std::string_view::npos || line.find("No rule to make target") != std::string_view::npos ||
        line.find("undefined reference") != std::string_view::npos)
      return std::string(line);
    if (fallback.empty() && line.find("***") != std::string_view::npos) fallback = line;
  }
  return std::string(fallback.empty() ? last : fallback);
}

Status check_linux_tree(const fs::path& src) {
  std::error_code ec;
  if (!fs::is_directory(src, ec)) return make_error(src.string() + ": not a directory");
  for (const char* need : {"Makefile", "Kconfig", "arch/x86/Kconfig", "scripts/kconfig"}) {
    if (!fs::exists(src / need, ec))
      return make_error(src.string() + " is not a Linux source tree (no " + need + ")");
  }
  if (fs::exists(src / ".config", ec))
    return make_error(src.string() + " was configured in place (it has a .config); kgrid builds out of tree "
                      "and needs a clean tree: run 'make mrproper' there, or use a fresh copy");
  return ok_status();
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void say(const SourceBuildOptions& o, const std::string& line) {
  if (o.log) o.log(line);
}

// Runs make in the tree with O=<build>. Its output goes straight into the
// log as it runs (so `tail -f build.log` follows a long build), except for
// steps whose stdout is wanted (captured = true).
class Make {
 public:
  Make(const SourceBuildOptions& o, fs::path build, fs::path log)
      : o_(o), build_(std::move(build)), log_(std::move(log)) {}

  Status operator()(std::vector<std::string> args, std::vector<std::string> env = {}, bool captured = false) {
    std::vector<std::string> make = {"make", "-C", o_.src.string(), "O=" + build_.string(), "ARCH=x86_64"};
    if (!o_.cc.empty()) {
      make.push_back("CC=" + o_.cc);
      make.push_back("HOSTCC=" + o_.cc);
    }
    make.insert(make.end(), args.begin(), args.end());
    std::string header = "$";
    for (const auto& a : make) header += " " + a;
    Status st = append(header + "\n");
    if (!st) return st;
    std::vector<std::string> argv = make;
    if (!captured) {
      argv = {"/bin/sh", "-c", "exec \"$@\" >>\"$KGRID_BUILD_LOG\" 2>&1", "sh"};
      argv.insert(argv.end(), make.begin(), make.end());
      env.push_back("KGRID_BUILD_LOG=" + log_.string());
    }
    ProcessOptions po;
    po.env = std::move(env);
    po.timeout = o_.timeout;
    auto r = run_process(argv, po);
    if (!r) return r.error();
    if (captured) {
      st = append(r->out + r->err);
      if (!st) return st;
    }
    if (!r->ok()) {
      auto log = read_file(log_);
      std::string text = log ? *log : r->out + r->err;
      text = text.substr(std::min(text.size(), text.rfind(header) == std::string::npos ? 0 : text.rfind(header)));
      return make_error("make " + args.back() + " failed (" + r->describe() + "): " + make_failure_line(text) +
                        "\n  full log: " + log_.string());
    }
    last_out_ = r->out;
    return ok_status();
  }
  const std::string& last_out() const { return last_out_; }

 private:
  Status append(const std::string& text) {
    UniqueFd fd(::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd.valid()) return errno_error("cannot open", log_);
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("cannot write", log_);
      done += static_cast<size_t>(n);
    }
    return ok_status();
  }

  const SourceBuildOptions& o_;
  fs::path build_, log_;
  std::string last_out_;
};

std::string trim_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

Result<fs::path> default_out(const SourceBuildOptions& o) {
  auto root = cache_dir();
  if (!root) return root.error();
  fs::path tree = fs::weakly_canonical(o.src);
  std::string name = tree.filename().string();
  if (name.empty()) name = tree.parent_path().filename().string();
  std::string cfg = o.config == "minimal" || o.config == "defconfig" ? o.config : "custom";
  return *root / "source-builds" / (name + "-" + cfg);
}

// Writes the config into <build>/.config and checks what kconfig made of it.
Status configure(const SourceBuildOptions& o, Make& make, const fs::path& build, const fs::path& out,
                 SourceBuild& result) {
  std::vector<FragmentOption> wanted;
  std::string fragment_text;
  if (o.config == "minimal" || o.config == "defconfig") fragment_text = std::string(minimal_config_fragment());
  for (const auto& f : o.fragments) {
    auto text = read_file(f);
    if (!text) return text.error();
    fragment_text += "\n" + *text;
  }
  auto parsed = parse_fragment(fragment_text);
  if (!parsed) return make_error("config fragment: " + parsed.error().message);
  wanted = std::move(*parsed);
  const fs::path fragment_file = out / "fragment.config";
  Status st = write_file_atomic(fragment_file, fragment_text);
  if (!st) return st;

  if (o.config == "minimal") {
    st = make({"allnoconfig"}, {"KCONFIG_ALLCONFIG=" + fragment_file.string()});
  } else {
    if (o.config == "defconfig") {
      st = make({"defconfig"});
    } else {
      auto text = read_file(o.config);
      if (!text) return make_error("--config " + o.config + ": " + text.error().message);
      st = write_file_atomic(build / ".config", *text);
    }
    if (!st) return st;
    if (!fragment_text.empty()) {
      // kconfig takes the last assignment of an option.
      auto base = read_file(build / ".config");
      if (!base) return base.error();
      st = write_file_atomic(build / ".config", *base + "\n" + fragment_text);
      if (!st) return st;
    }
    st = make({"olddefconfig"});
  }
  if (!st) return st;
  auto config = KernelConfig::load(build / ".config");
  if (!config) return config.error();
  result.warnings = dropped_options(wanted, *config);
  st = make({"-s", "kernelrelease"}, {}, true);
  if (!st) return st;
  result.release = trim_line(make.last_out());
  if (result.release.empty()) return make_error("make kernelrelease printed nothing");

  KernelImage expected;
  expected.arch = "x86_64";
  expected.release = result.release;
  Preflight p = preflight(expected, &*config);
  if (!p.boot_fail_reason.empty())
    return make_error("this config cannot boot under kgrid (" + p.boot_fail_reason + "); add the option with --fragment");
  for (const auto& s : p.skip_reasons) result.warnings.push_back("probes will SKIP: " + s);
  for (const auto& w : p.warnings) result.warnings.push_back(w);
  return ok_status();
}

Status copy_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::path tmp = temp_path_for(to);
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(tmp, to, ec);
  if (ec) return make_error("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  return ok_status();
}

}  // namespace

Result<SourceBuild> build_from_source(const SourceBuildOptions& o) {
  struct utsname u {};
  if (uname(&u) == 0 && std::string(u.machine) != "x86_64")
    return make_error("kgrid kernels build makes x86_64 kernels and needs an x86_64 host (this is " +
                      std::string(u.machine) + ")");
  Status st = check_linux_tree(o.src);
  if (!st) return st.error();
  for (const char* tool : {"make", "flex", "bison", "bc"})
    if (!program_available(tool))
      return make_error(std::string("building a kernel needs '") + tool + "' (scripts/install-deps installs it)");
  if ((o.config == "minimal" || o.config == "defconfig") && !program_available("pahole"))
    return make_error("the config has CONFIG_DEBUG_INFO_BTF, which needs pahole (Debian package dwarves)");

  SourceBuild r;
  if (o.out.empty()) {
    auto d = default_out(o);
    if (!d) return d.error();
    r.out = *d;
  } else {
    r.out = fs::absolute(o.out);
  }
  r.build_dir = r.out / "build";
  r.log = r.out / "build.log";
  st = make_dirs(r.build_dir);
  if (!st) return st.error();
  auto lock = FileLock::try_acquire(r.out / ".lock");
  if (!lock) return make_error(r.out.string() + " is in use by another kgrid kernels build");

  std::error_code rm_ec;
  fs::remove(r.log, rm_ec);  // one build, one log
  SourceBuildOptions opts = o;
  opts.src = fs::absolute(o.src);
  Make make(opts, r.build_dir, r.log);
  say(o, "configuring " + opts.src.string() + " (" + o.config + ") in " + r.build_dir.string());
  auto t0 = Clock::now();
  st = configure(opts, make, r.build_dir, r.out, r);
  if (!st) return st.error();
  r.config_s = seconds_since(t0);
  for (const auto& w : r.warnings) say(o, "warning: " + w);

  unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  say(o, "building " + r.release + " with make -j" + std::to_string(jobs) + " (log: " + r.log.string() + ")");
  t0 = Clock::now();
  st = make({"-j" + std::to_string(jobs), "all"});
  if (!st) return st.error();
  r.build_s = seconds_since(t0);

  const fs::path bz = r.build_dir / "arch/x86/boot/bzImage";
  auto img = inspect_image(bz);
  if (!img) return make_error("the build made no usable bzImage: " + img.error().message);
  if (img->release != r.release)
    return make_error("the bzImage reports release " + img->release + ", make kernelrelease said " + r.release);
  r.image = r.out / ("vmlinuz-" + r.release);
  r.config = r.out / ("config-" + r.release);
  st = copy_into(bz, r.image);
  if (st) st = copy_into(r.build_dir / ".config", r.config);
  if (!st) return st.error();
  r.headers = r.out / "headers" / r.release;
  st = make_dirs(r.headers.parent_path());
  if (!st) return st.error();
  std::error_code ec;
  fs::remove(r.headers, ec);
  fs::create_directory_symlink("../build", r.headers, ec);
  if (ec) return make_error("cannot link " + r.headers.string() + ": " + ec.message());

  nlohmann::json meta = {{"release", r.release},        {"source", opts.src.string()}, {"config", o.config},
                         {"cc", o.cc.empty() ? "default" : o.cc}, {"jobs", jobs},        {"config_s", r.config_s},
                         {"build_s", r.build_s},        {"warnings", r.warnings}};
  st = write_file_atomic(r.out / "meta.json", meta.dump(2) + "\n");
  if (!st) return st.error();
  return r;
}

}  // namespace kgrid::kernels
