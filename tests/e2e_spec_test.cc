// End-to-end: user test specs (docs/test-specs.md) on a real Debian kernel.
// One boot runs every spec: kgrid's own probe with expectations that hold
// and ones that do not, a user's own static binary packed from the host, and
// two specs skipped by requirements (one decided in the guest, one on the
// host from the kernel's config file).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/e2e_support.h"

using namespace kgrid::e2e;
using kgrid::results::TestResult;
using kgrid::results::Verdict;

namespace fs = std::filesystem;

namespace {

const std::string& bookworm() {
  static const std::string image = fetch_kernel("debian:bookworm/linux-image-amd64");
  return image;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A tiny static program, built here: any user binary can be the "probe".
fs::path build_user_binary(const fs::path& dir) {
  write(dir / "hello.c",
        "#include <stdio.h>\n#include <sys/utsname.h>\n#include <unistd.h>\n"
        "int main(void) {\n"
        "  struct utsname u;\n  uname(&u);\n"
        "  printf(\"hello from a user binary on %s\\n\", u.release);\n"
        "  for (int i = 0; i < 1000; ++i) getppid();\n"
        "  printf(\"did 1000 getppid\\n\");\n  return 0;\n}\n");
  fs::path bin = dir / "hello";
  std::string cmd = "cc -static -O2 -o '" + bin.string() + "' '" + (dir / "hello.c").string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return bin;
}

const char* kPassSpec = R"(
name = "probe_pass"
driver = "modern_bpf"
command = ["/kgrid/bin/kgrid-probe", "--driver", "modern_bpf"]
ready = "kgrid-probe: ready"
generator = ["/kgrid/bin/kgrid-gen"]
[expect]
truth = true
metrics = ["events >= 10000", "drops == 0"]
stdout = ["^kgrid-probe: stat events=[0-9]+ drops=0"]
stderr_not = ["error"]
[requires]
min_kernel = "5.8"
btf = true
ringbuf = true
)";

const char* kFailSpec = R"(
name = "probe_fail"
driver = "modern_bpf"
command = ["/kgrid/bin/kgrid-probe", "--driver", "modern_bpf"]
ready = "kgrid-probe: ready"
generator = ["/kgrid/bin/kgrid-gen"]
[expect]
metrics = ["events >= 1e12"]
)";

const char* kUserSpec = R"(
name = "user_binary"
driver = "hello"
command = ["/opt/kgrid-e2e/hello"]
files = ["hello:/opt/kgrid-e2e/hello"]
format = "none"
[stop]
when = "exit"
[expect]
stdout = ["^hello from a user binary on [0-9]+\\.[0-9]+", "^did 1000 getppid$"]
)";

const char* kSkipKernelSpec = R"(
name = "needs_kernel_99"
command = "/kgrid/bin/kgrid-probe"
ready = "kgrid-probe: ready"
[requires]
min_kernel = "99.0"
)";

const char* kSkipConfigSpec = R"(
name = "needs_config"
command = "/kgrid/bin/kgrid-probe"
ready = "kgrid-probe: ready"
[requires]
config = ["CONFIG_BPF_SYSCALL", "CONFIG_KGRID_NO_SUCH_OPTION"]
)";

const TestResult& find(const std::vector<TestResult>& tests, const std::string& name) {
  for (const auto& t : tests)
    if (t.name == name) return t;
  FAIL("no test " << name);
  return tests.front();
}

}  // namespace

TEST_CASE("specs: a passing and a failing expectation, a user binary, and requirement SKIPs, in one boot") {
  OutDir out("specs");
  fs::path specs = out.path() / "specs";
  build_user_binary(specs);
  write(specs / "pass.toml", kPassSpec);
  write(specs / "fail.toml", kFailSpec);
  write(specs / "user.toml", kUserSpec);
  write(specs / "skip_kernel.toml", kSkipKernelSpec);
  write(specs / "skip_config.toml", kSkipConfigSpec);

  std::vector<std::string> args = {"run", "--kernel", bookworm(), "--out", out.str()};
  for (const char* s : {"pass", "fail", "user", "skip_kernel", "skip_config"})
    args.insert(args.end(), {"--spec", (specs / (std::string(s) + ".toml")).string()});
  Command c = run_kgrid(args);
  INFO(c.output);
  CHECK(c.exit_code == 1);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  const auto& k = run.kernels[0];
  INFO(k.reason);
  CHECK(k.verdict == Verdict::Fail);
  CHECK(k.reason.rfind("probe_fail: expected events >= 1000000000000, got events=", 0) == 0);
  REQUIRE(k.tests.size() == 5);

  const TestResult& pass = find(k.tests, "probe_pass");
  INFO(pass.reason);
  CHECK(pass.verdict == Verdict::Pass);
  CHECK(pass.driver == "modern_bpf");
  CHECK(pass.metrics.at("events") >= 10000);
  CHECK(pass.metrics.at("drops") == 0);

  const TestResult& fail = find(k.tests, "probe_fail");
  CHECK(fail.verdict == Verdict::Fail);
  CHECK(fail.reason.rfind("expected events >= 1000000000000, got events=", 0) == 0);

  const TestResult& user = find(k.tests, "user_binary");
  INFO(user.reason);
  CHECK(user.verdict == Verdict::Pass);

  const TestResult& old_kernel = find(k.tests, "needs_kernel_99");
  CHECK(old_kernel.verdict == Verdict::Skip);
  CHECK(old_kernel.reason.find("< min_kernel 99.0") != std::string::npos);

  const TestResult& config = find(k.tests, "needs_config");  // decided on the host from config-<release>
  CHECK(config.verdict == Verdict::Skip);
  CHECK(config.reason == "CONFIG_KGRID_NO_SUCH_OPTION is not set (needs y or m) (kernel config)");
}

TEST_CASE("specs that pass or skip give a passing kernel; a bad spec is refused before booting") {
  OutDir out("specs-pass");
  fs::path specs = out.path() / "specs";
  build_user_binary(specs);
  write(specs / "user.toml", kUserSpec);
  write(specs / "skip_kernel.toml", kSkipKernelSpec);
  Command c = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str(), "--spec", (specs / "user.toml").string(),
                         "--spec", (specs / "skip_kernel.toml").string()});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  auto run = read_results(out.path());
  REQUIRE(run.kernels.size() == 1);
  CHECK(run.kernels[0].verdict == Verdict::Pass);

  write(specs / "bad.toml", "command = \"/kgrid/bin/kgrid-probe\"\nready = \"r\"\n[expect]\nmetrics = [\"events => 1\"]\n");
  Command bad = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str(), "--spec", (specs / "bad.toml").string()});
  INFO(bad.output);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("bad.toml:4: expect.metrics[0]: expected") != std::string::npos);
}
