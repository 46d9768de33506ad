// End-to-end: the real kgrid binary, real QEMU, real Debian kernels, real eBPF.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e_support.h"

using namespace kgrid::e2e;
using kgrid::results::Verdict;

namespace fs = std::filesystem;

namespace {
const std::string& bookworm() {
  static const std::string image = fetch_kernel("debian:bookworm/linux-image-amd64");
  return image;
}
}  // namespace

TEST_CASE("the default grid passes: the probe loads and sees the generator's syscalls exactly") {
  OutDir out("default-grid");
  Command c = run_kgrid({"run", "--grid", std::string(KGRID_SOURCE_DIR) + "/kernels/default.toml", "--out", out.str()});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 4);
  for (const auto& k : run.kernels) {
    INFO(k.id << ": " << k.reason);
    CHECK(k.verdict == Verdict::Pass);
    CHECK(k.id.rfind("debian-", 0) == 0);
    CHECK(k.boot_s > 0);
    REQUIRE(k.tests.size() == 1);
    const auto& t = k.tests[0];
    CHECK(t.name == "modern_bpf");
    CHECK(t.metrics.at("drops") == 0);
    CHECK(t.metrics.at("events") >= 10000);  // the generator alone makes 10000 marker syscalls
    CHECK(fs::file_size(out.path() / "kernels" / k.id / "console.log") > 0);
    CHECK(fs::exists(out.path() / "kernels" / k.id / "qemu.cmd"));
  }
  std::ifstream summary(out.path() / "summary.txt");
  std::string text((std::istreambuf_iterator<char>(summary)), {});
  CHECK(text.find("totals: 4 PASS") != std::string::npos);
}

TEST_CASE("a probe that captures nothing FAILs with the missing events as its reason") {
  OutDir out("nocapture");
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str(), "--probe-fault", "nocapture"});
  INFO(c.output);
  CHECK(c.exit_code == 1);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  CHECK(run.kernels[0].verdict == Verdict::Fail);
  CHECK(run.kernels[0].reason.find("modern_bpf: expected") != std::string::npos);
  CHECK(run.kernels[0].reason.find("getppid") != std::string::npos);
}

TEST_CASE("a probe the verifier rejects FAILs with the verifier's words") {
  OutDir out("verifier");
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str(), "--probe-fault", "verifier"});
  INFO(c.output);
  CHECK(c.exit_code == 1);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  const auto& k = run.kernels[0];
  INFO(k.reason);
  CHECK(k.verdict == Verdict::Fail);
  REQUIRE(k.tests.size() == 1);
  INFO(k.tests[0].reason);
  CHECK(k.tests[0].reason.find("prog '") != std::string::npos);
}

TEST_CASE("a kernel command line that panics gives PANIC with the panic message") {
  OutDir out("panic");
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str(), "--append", "rdinit=/nonexistent"});
  INFO(c.output);
  CHECK(c.exit_code == 1);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  CHECK(run.kernels[0].verdict == Verdict::Panic);
  CHECK(run.kernels[0].reason.find("Kernel panic - not syncing") != std::string::npos);
}

TEST_CASE("a missing file or a file that is not a kernel is refused before booting") {
  OutDir out("bad-input");
  Command missing = run_kgrid({"run", "--kernel", "/nonexistent/vmlinuz", "--out", out.str()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("/nonexistent/vmlinuz: no such file") != std::string::npos);

  fs::path junk = out.path() / "vmlinuz-junk";
  fs::create_directories(out.path());
  std::ofstream(junk) << "this is not a kernel\n";
  Command not_kernel = run_kgrid({"run", "--kernel", junk.string(), "--out", out.str()});
  INFO(not_kernel.output);
  CHECK(not_kernel.exit_code == 2);
  CHECK(not_kernel.output.find(junk.string()) != std::string::npos);

  // A truncated copy of a real kernel.
  fs::path truncated = out.path() / "vmlinuz-truncated";
  {
    std::ifstream in(bookworm(), std::ios::binary);
    std::string head(1 << 20, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(truncated, std::ios::binary) << head;
  }
  Command cut = run_kgrid({"run", "--kernel", truncated.string(), "--out", out.str()});
  INFO(cut.output);
  CHECK(cut.exit_code == 2);
  CHECK(cut.output.find("truncated") != std::string::npos);
}

TEST_CASE("Ctrl-C mid-sweep kills every QEMU and leaves valid partial results") {
  OutDir out("interrupt");
  const std::string kgrid_bin = std::string(KGRID_BIN_DIR) + "/kgrid";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(kgrid_bin.c_str(), kgrid_bin.c_str(), "run", "-j", "2", "--out", out.str().c_str(), "--kernel",
            bookworm().c_str(), "--kernel", bookworm().c_str(), "--kernel", bookworm().c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until QEMU runs, then interrupt.
  for (int i = 0; i < 300 && count_processes_mentioning(out.str()) == 0; ++i) ::usleep(100000);
  CHECK(count_processes_mentioning(out.str()) > 0);
  ::usleep(500000);
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(count_processes_mentioning(out.str()) == 0);
  auto run = read_results(out.path());
  CHECK(run.interrupted);
  REQUIRE(run.kernels.size() == 3);
  for (const auto& k : run.kernels) CHECK(k.verdict == Verdict::InfraError);
}

TEST_CASE("a local kernel .deb boots like a fetched kernel; a damaged one is refused before booting") {
  OutDir out("local-deb");
  // A .deb with the bookworm image and config where linux-image puts them.
  // SOURCE_DATE_EPOCH makes it the same bytes every time, so the cache
  // (keyed by the package's SHA-256) gains one entry, not one per run.
  const fs::path image = bookworm();
  std::string release = image.parent_path().filename().string();  // debian-bookworm-<release>
  release = release.substr(std::string("debian-bookworm-").size());
  const fs::path root = out.path() / "pkg";
  fs::create_directories(root / "DEBIAN");
  fs::create_directories(root / "boot");
  fs::copy_file(image, root / "boot" / ("vmlinuz-" + release));
  fs::copy_file(image.parent_path() / "config", root / "boot" / ("config-" + release));
  std::ofstream(root / "DEBIAN" / "control") << "Package: linux-image-" << release
                                              << "\nVersion: 1.0\nArchitecture: amd64\n"
                                                 "Maintainer: kgrid tests <tests@localhost>\n"
                                                 "Description: a kernel image for kgrid's tests\n";
  const fs::path deb = out.path() / ("linux-image-" + release + "_1.0_amd64.deb");
  std::string cmd = "SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Zxz -b '" + root.string() + "' '" +
                    deb.string() + "' >/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);

  Command c = run_kgrid({"run", "--kernel", deb.string(), "--out", (out.path() / "run").string()});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  auto run = read_results(out.path() / "run");
  REQUIRE(run.kernels.size() == 1);
  CHECK(run.kernels[0].id == "local-" + release);
  CHECK(run.kernels[0].verdict == Verdict::Pass);
  CHECK(run.kernels[0].version == release);

  // Cut short: an error that names the package, and no VM.
  const fs::path cut = out.path() / "cut.deb";
  fs::copy_file(deb, cut);
  fs::resize_file(cut, fs::file_size(deb) / 2);
  Command bad = run_kgrid({"run", "--kernel", cut.string(), "--out", (out.path() / "bad").string()});
  INFO(bad.output);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find(cut.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(out.path() / "bad" / "kernels"));
}
