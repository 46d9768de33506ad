#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "vm/qemu.h"
#include "cli/shell_cmd.h"
#include "sweep/shell_files.h"
#include "vm/session.h"
#include "packer/cpio.h"

using namespace kgrid;
using namespace kgrid::host;
namespace fs = std::filesystem;

namespace {

std::string run_sh(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  out += "exit=" + std::to_string(WEXITSTATUS(status));
  return out;
}

}  // namespace

TEST_CASE("the static busybox from Debian's package is accepted, a dynamic binary is not") {
  auto tmp = TempDir::create("kgrid-shell-test-");
  REQUIRE(tmp);
  // A dpkg file list pointing at a fake, dynamically linked "busybox".
  fs::path fake = tmp->path() / "busybox";
  fs::copy_file("/bin/true", fake);
  std::ofstream(tmp->path() / "busybox-static.list") << "/.\n/bin\n" << fake.string() << "\n";
  BusyboxSearch search;
  search.dpkg_info = tmp->path();
  search.fallbacks = {};
  auto dynamic = find_busybox("x86_64", search);
  REQUIRE_FALSE(dynamic);
  CHECK(dynamic.error().message.find("dynamically linked") != std::string::npos);
  CHECK(dynamic.error().message.find("apt-get install busybox-static") != std::string::npos);

  search.dpkg_info = tmp->path() / "nothing-here";
  auto missing = find_busybox("x86_64", search);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("apt-get install busybox-static") != std::string::npos);

  auto explicit_missing = find_busybox("x86_64", BusyboxSearch{"/nonexistent/busybox"});
  REQUIRE_FALSE(explicit_missing);
  CHECK(explicit_missing.error().message.find("apt-get install busybox-static") != std::string::npos);

  if (fs::exists("/var/lib/dpkg/info/busybox-static.list")) {
    auto real = find_busybox("x86_64");
    INFO((real ? real->string() : real.error().message));
    CHECK(real);
    CHECK(check_static_elf(*real, "x86_64"));
    auto wrong_cpu = check_static_elf(*real, "arm64");
    REQUIRE_FALSE(wrong_cpu);
    CHECK(wrong_cpu.error().message.find("another CPU") != std::string::npos);
  }
  std::ofstream(tmp->path() / "text") << "#!/bin/sh\n";
  CHECK_FALSE(check_static_elf(tmp->path() / "text", "x86_64"));
}

TEST_CASE("the shell overlay has busybox as /bin/sh, the profile and kgrid-test") {
  ShellFilesOptions o;
  o.busybox = "/bin/true";  // any file will do for the layout
  o.rows = 40;
  o.cols = 120;
  o.banner = "kernel it's-a-test";
  auto entries = shell_entries(o);
  REQUIRE(entries);
  auto find = [&](const std::string& path) -> const packer::Entry* {
    for (const auto& e : *entries)
      if (e.path == path) return &e;
    return nullptr;
  };
  REQUIRE(find("bin/busybox"));
  CHECK(find("bin/busybox")->mode == 0755);
  REQUIRE(find("bin/sh"));
  CHECK(find("bin/sh")->kind == packer::EntryKind::Symlink);
  CHECK(find("bin/sh")->data == "busybox");
  REQUIRE(find("kgrid/bin/kgrid-test"));
  CHECK(find("kgrid/bin/kgrid-test")->mode == 0755);
  REQUIRE(find("etc/profile"));
  const std::string& profile = find("etc/profile")->data;
  CHECK(profile.find("busybox --install -s") != std::string::npos);
  CHECK(profile.find("export PATH=/kgrid/bin:") != std::string::npos);
  CHECK(profile.find("stty rows 40 cols 120") != std::string::npos);
  CHECK(packer::write_cpio(*entries));

  // The profile is valid shell, and prints the banner with the quote intact.
  std::string syntax = run_sh("printf '%s' '" + std::string("true") + "' >/dev/null; sh -n -c " +
                              std::string("\"$(cat <<'EOF'\n") + profile + "EOF\n)\" 2>&1");
  CHECK(syntax == "exit=0");
}

TEST_CASE("kgrid-test prints the testrunner's readable lines and judges by its records") {
  auto tmp = TempDir::create("kgrid-shell-test-");
  REQUIRE(tmp);
  fs::path script = tmp->path() / "kgrid-test", runner = tmp->path() / "runner";
  std::ofstream(script) << kgrid_test_script();
  auto write_runner = [&](const std::string& body) {
    std::ofstream(runner) << "#!/bin/sh\n" << body;
    fs::permissions(runner, fs::perms::owner_all);
  };
  std::string run = "KGRID_TESTRUNNER=" + runner.string() + " sh " + script.string() + " 2>&1";

  write_runner(
      "echo 'KGRID1|n|1|CAPS|release=6.1|00000000'\n"
      "echo 'kgrid-testrunner: [1/2] a: PASS'\n"
      "echo 'KGRID1|n|2|TEST|driver=d name=a reason= verdict=PASS|00000000'\n"
      "echo 'KGRID1|n|3|TEST|driver=d name=b reason= verdict=SKIP|00000000'\n"
      "echo 'KGRID1|n|4|END|status=ok tests=2|00000000'\n");
  std::string pass = run_sh(run);
  CHECK(pass.find("[1/2] a: PASS") != std::string::npos);
  CHECK(pass.find("KGRID1") == std::string::npos);
  CHECK(pass.find("kgrid-test: PASS\nexit=0") != std::string::npos);

  write_runner(
      "echo 'kgrid-testrunner: [1/1] a: FAIL: expected 3 events'\n"
      "echo 'KGRID1|n|2|TEST|driver=d name=a reason=x verdict=FAIL|00000000'\n"
      "echo 'KGRID1|n|4|END|status=ok tests=1|00000000'\n");
  std::string failed = run_sh(run);
  CHECK(failed.find("a: FAIL: expected 3 events") != std::string::npos);
  CHECK(failed.find("kgrid-test: FAIL\nexit=1") != std::string::npos);

  write_runner("echo 'kgrid-testrunner: starting'\nexit 1\n");
  std::string crashed = run_sh(run);
  CHECK(crashed.find("no END record") != std::string::npos);
  CHECK(crashed.find("exit=2") != std::string::npos);
}

TEST_CASE("the interactive QEMU command puts the console on FIFOs with the monitor muxed") {
  QemuOptions q;
  q.kernel = "/k";
  q.initrd = "/i";
  q.nonce = "n";
  auto argv = qemu_argv(q, *find_arch("x86_64"));
  auto out = interactive_argv(argv, "/tmp/x/console");
  REQUIRE(out);
  CHECK(std::find(out->begin(), out->end(), "pipe,id=con0,path=/tmp/x/console,mux=on") != out->end());
  auto mon = std::find(out->begin(), out->end(), "-mon");
  REQUIRE(mon != out->end());
  CHECK(*(mon + 1) == "chardev=con0,mode=readline");
  CHECK(std::find(out->begin(), out->end(), "chardev:con0") != out->end());
  for (const auto& a : *out) CHECK(a.rfind("stdio", 0) != 0);
  CHECK_FALSE(interactive_argv({"qemu", "-serial", "stdio"}, "/x"));
}

TEST_CASE("--gdb adds the stub, halts the CPU and boots with nokaslr") {
  QemuOptions q;
  q.kernel = "/k";
  q.initrd = "/i";
  q.nonce = "n";
  q.gdb_port = 4321;
  auto argv = qemu_argv(q, *find_arch("x86_64"));
  auto gdb = std::find(argv.begin(), argv.end(), "-gdb");
  REQUIRE(gdb != argv.end());
  CHECK(*(gdb + 1) == "tcp:127.0.0.1:4321");
  CHECK(std::find(argv.begin(), argv.end(), "-S") != argv.end());
  CHECK(kernel_cmdline(q, *find_arch("x86_64")).find(" nokaslr") != std::string::npos);
  q.gdb_port = 0;
  auto plain = qemu_argv(q, *find_arch("x86_64"));
  CHECK(std::find(plain.begin(), plain.end(), "-S") == plain.end());
  CHECK(std::find(plain.begin(), plain.end(), "-gdb") == plain.end());

  CHECK(gdb_attach_command(1234, "") == "gdb -q -ex 'target remote 127.0.0.1:1234'");
  CHECK(gdb_attach_command(1234, "/d/vmlinux") == "gdb -q -ex 'target remote 127.0.0.1:1234' /d/vmlinux");
}

TEST_CASE("a session relays input to the console and the console to the output, and reports QEMU's end") {
  auto tmp = TempDir::create("kgrid-shell-test-");
  REQUIRE(tmp);
  // A stand-in for QEMU: reads a line from the console FIFO, answers, crashes.
  std::string script =
      "p=${2#*path=}; p=${p%%,*}; read line < \"$p.in\"; "
      "printf 'got:%s\\r\\n[    1.0] Kernel panic - not syncing: test\\r\\n' \"$line\" > \"$p.out\"; "
      "echo 'fake qemu: bye' >&2; exit 3";
  int in[2], out[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::write(in[1], "hello\n", 6) == 6);
  ::close(in[1]);

  SessionOptions o;
  o.argv = {"/bin/sh", "-c", script, "fake-qemu", "-chardev", "stdio,id=con0,signal=off"};
  o.work_dir = tmp->path();
  o.console_log = tmp->path() / "console.log";
  o.in_fd = in[0];
  o.out_fd = out[1];
  ConsoleMonitor console("");
  auto end = run_session(o, &console);
  ::close(in[0]);
  ::close(out[1]);
  REQUIRE(end);
  std::string shown;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) shown.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  CHECK(shown.find("got:hello") != std::string::npos);
  CHECK(shown.find("fake qemu: bye") != std::string::npos);
  CHECK(end->qemu.code == 3);
  CHECK(end->qemu_stderr.find("fake qemu: bye") != std::string::npos);
  CHECK(end->signal_name.empty());
  REQUIRE(console.crash());
  CHECK(console.crash()->kind == "panic");
  std::ifstream log(o.console_log);
  std::string logged((std::istreambuf_iterator<char>(log)), {});
  CHECK(logged.find("got:hello") != std::string::npos);
}
