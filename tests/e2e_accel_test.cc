// End-to-end: the accelerator is trusted only after it has proved itself.
// On a host whose /dev/kvm cannot boot a standard kernel (PVM, or none at
// all) the real thing is tested; QEMU wrappers in $PATH make the probe's
// fallback and the per-kernel retry under TCG reproducible on any host.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/e2e_support.h"

using namespace kgrid::e2e;
using kgrid::results::Verdict;

namespace fs = std::filesystem;

namespace {

const std::string& bookworm() {
  static const std::string image = fetch_kernel("debian:bookworm/linux-image-amd64");
  return image;
}

std::string real_qemu() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    fs::path p = fs::path(dir) / "qemu-system-x86_64";
    if (fs::exists(p)) return p.string();
  }
  FAIL("qemu-system-x86_64 is not installed");
  return "";
}

// A directory holding a qemu-system-x86_64 script, to put first in $PATH.
fs::path write_wrapper(const fs::path& dir, const std::string& body) {
  fs::create_directories(dir);
  fs::path script = dir / "qemu-system-x86_64";
  std::ofstream(script) << "#!/bin/sh\n" << body;
  ::chmod(script.c_str(), 0755);
  return dir;
}

size_t count_lines(const fs::path& file) {
  std::ifstream in(file);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// What this host's accelerator decision is, from the same code kgrid run uses.
std::string host_accel() {
  Command c = run_kgrid({"doctor", "--which-accel"}, {"KGRID_ACCEL=", "KGRID_NO_KVM="});
  INFO(c.output);
  REQUIRE(c.exit_code == 0);
  // stdout is the one word; the reason went to stderr.
  return c.output.find("\nkvm\n") != std::string::npos || c.output.rfind("kvm\n", 0) == 0 ? "kvm" : "tcg";
}

// Environment for a run that must probe with `wrapper_dir`'s QEMU alone: its
// own cache (so no verdict of the host's real QEMU applies), the wrapper first.
std::vector<std::string> wrapper_env(const fs::path& wrapper_dir, const fs::path& cache, int probe_timeout_s) {
  return {"PATH=" + wrapper_dir.string() + ":" + std::getenv("PATH"), "KGRID_ACCEL_PROBE_ONLY=1",
          "KGRID_CACHE_DIR=" + cache.string(), "KGRID_ACCEL=", "KGRID_NO_KVM=",
          "KGRID_ACCEL_PROBE_TIMEOUT=" + std::to_string(probe_timeout_s)};
}

}  // namespace

TEST_CASE("auto on this host: one line says which accelerator and why, and the kernel PASSes") {
  OutDir out("accel-auto");
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str()}, {"KGRID_ACCEL=", "KGRID_NO_KVM="});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  CHECK(run.kernels[0].verdict == Verdict::Pass);
  CHECK(run.accel == host_accel());
  CHECK_FALSE(run.accel_reason.empty());
  CHECK(run.kernels[0].accel == run.accel);
  if (run.accel == "tcg") {
    CHECK(count(c.output, "KVM unusable: ") == 1);
    CHECK(run.accel_reason.find("KVM unusable: ") == 0);
    CHECK(slurp(out.path() / "summary.txt").find("accel: KVM unusable: ") != std::string::npos);
    CHECK(slurp(out.path() / "kernels" / run.kernels[0].id / "qemu.cmd").find("-accel tcg") != std::string::npos);
  }
}

TEST_CASE("--accel kvm where KVM cannot work is an error before any VM starts") {
  if (host_accel() == "kvm") return;  // KVM works here: nothing to refuse
  OutDir out("accel-kvm-refused");
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str(), "--accel", "kvm"});
  INFO(c.output);
  CHECK(c.exit_code == 2);
  CHECK(c.output.find("--accel kvm: KVM cannot be used here: ") != std::string::npos);
  CHECK_FALSE(fs::exists(out.path() / "results.json"));

  Command env = run_kgrid({"doctor", "--which-accel"}, {"KGRID_ACCEL=kvm"});
  CHECK(env.exit_code == 2);
  CHECK(env.output.find("KGRID_ACCEL=kvm: KVM cannot be used here") != std::string::npos);
}

TEST_CASE("a QEMU that hangs under -accel kvm: the probe fails, kgrid falls back to TCG once and caches it") {
  OutDir out("accel-probe-hangs");
  fs::path log = out.path() / "kvm-starts.log";
  fs::path dir = write_wrapper(out.path() / "wrapper",
                               "for a in \"$@\"; do\n"
                               "  if [ \"$a\" = kvm ]; then\n"
                               "    echo kvm >> '" + log.string() + "'\n"
                               "    echo 'Probing EDD (edd=off to disable)... ok'\n"
                               "    echo 'KASLR disabled: ...'\n"
                               "    exec sleep 600\n"  // what a Debian kernel does under PVM
                               "  fi\n"
                               "done\n"
                               "exec " + real_qemu() + " \"$@\"\n");
  auto env = wrapper_env(dir, out.path() / "cache", 5);  // it never boots: a short wait is enough
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", (out.path() / "r1").string()}, env);
  INFO(c.output);
  CHECK(c.exit_code == 0);
  CHECK(count(c.output, "KVM unusable: a probe boot of ") == 1);
  CHECK(c.output.find("under KVM did not reach init") != std::string::npos);
  auto run = read_results(out.path() / "r1");
  REQUIRE(run.kernels.size() == 1);
  CHECK(run.kernels[0].verdict == Verdict::Pass);
  CHECK(run.accel == "tcg");
  CHECK(run.accel_reason.find("KASLR disabled") != std::string::npos);  // where the probe stopped
  CHECK(count_lines(log) == 1);
  CHECK(count_processes_mentioning((out.path() / "wrapper").string()) == 0);

  // The verdict is cached for this host boot: the next run does not probe again.
  Command again = run_kgrid({"run", "--kernel", bookworm(), "--out", (out.path() / "r2").string()}, env);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(count(again.output, "KVM unusable: a probe boot of ") == 1);
  CHECK(count_lines(log) == 1);
  // A stale boot id in the cache means a new probe.
  for (const auto& f : fs::directory_iterator(out.path() / "cache" / "accel")) {
    std::string text = slurp(f.path());
    auto pos = text.find("\"boot_id\": \"");
    REQUIRE(pos != std::string::npos);
    text.replace(pos + 12, 8, "00000000");
    std::ofstream(f.path()) << text;
  }
  Command stale = run_kgrid({"run", "--kernel", bookworm(), "--out", (out.path() / "r3").string()}, env);
  INFO(stale.output);
  CHECK(stale.exit_code == 0);
  CHECK(count_lines(log) == 2);
}

TEST_CASE("KVM that passes the probe but does not boot a sweep's kernel: that kernel runs again under TCG") {
  OutDir out("accel-retry");
  fs::path log = out.path() / "kvm-starts.log";
  // Under -accel kvm the probe's boot works (it is TCG underneath); any other
  // KVM boot hangs after the decompressor, as under PVM.
  fs::path dir = write_wrapper(out.path() / "wrapper",
                               "kvm=0; probe=0\n"
                               "for a in \"$@\"; do\n"
                               "  [ \"$a\" = kvm ] && kvm=1\n"
                               "  case \"$a\" in *kvm-probe-initrd*) probe=1;; esac\n"
                               "done\n"
                               "if [ $kvm = 1 ]; then echo \"probe=$probe\" >> '" + log.string() + "'; fi\n"
                               "if [ $kvm = 1 ] && [ $probe = 0 ]; then echo 'KASLR disabled: ...'; exec sleep 600; fi\n"
                               "n=$#\n"
                               "for a in \"$@\"; do\n"
                               "  case \"$a\" in kvm) a=tcg;; host) a=max,cx16=off;; esac\n"
                               "  set -- \"$@\" \"$a\"\n"
                               "done\n"
                               "shift $n\n"
                               "exec " + real_qemu() + " \"$@\"\n");
  // The wrapped "KVM" is TCG underneath, and the host may be busy: a long probe limit.
  auto env = wrapper_env(dir, out.path() / "cache", 120);
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", (out.path() / "r").string(), "--boot-timeout", "40"}, env);
  INFO(c.output);
  CHECK(c.exit_code == 0);
  CHECK(c.output.find("kgrid: KVM: a probe boot of ") != std::string::npos);
  CHECK(c.output.find("did not reach init under KVM") != std::string::npos);
  CHECK(c.output.find("running it again under TCG") != std::string::npos);
  auto run = read_results(out.path() / "r");
  REQUIRE(run.kernels.size() == 1);
  const auto& k = run.kernels[0];
  INFO(k.reason);
  CHECK(k.verdict == Verdict::Pass);  // never BOOT_FAIL because of the accelerator
  CHECK(run.accel == "kvm");
  CHECK(k.accel == "tcg");
  CHECK(k.accel_note.find("under KVM it did not reach init (BOOT_FAIL") == 0);
  CHECK(slurp(out.path() / "r" / "kernels" / k.id / "qemu.cmd").find("-accel tcg") != std::string::npos);
  CHECK(slurp(out.path() / "r" / "summary.txt").find("accel: tcg, under KVM it did not reach init") != std::string::npos);
  CHECK(slurp(log) == "probe=1\nprobe=0\n");
  CHECK(count_processes_mentioning((out.path() / "wrapper").string()) == 0);
}
