// End-to-end, as a user would: `kgrid shell` and `kgrid repro --shell` driven
// through a real pseudo-terminal (a private tmux server), gdb attached to
// `kgrid shell --gdb`, and `kgrid repro` of a failing and a passing kernel.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e_support.h"

using namespace kgrid::e2e;
namespace fs = std::filesystem;

namespace {

const std::string kKgrid = std::string(KGRID_BIN_DIR) + "/kgrid";

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Command sh(const std::string& command) {
  Command result;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  int status = ::pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

const std::string& bookworm() {
  static const std::string image = fetch_kernel("debian:bookworm/linux-image-amd64");
  return image;
}

std::string release_of(const std::string& image) {
  Command c = run_kgrid({"kernels", "inspect", image});
  auto pos = c.output.find("release:");
  REQUIRE(pos != std::string::npos);
  std::string rest = c.output.substr(pos + 8);
  rest = rest.substr(rest.find_first_not_of(' '));
  return rest.substr(0, rest.find('\n'));
}

// A tmux server of our own with one pane running bash: a real terminal.
class Pane {
 public:
  explicit Pane(const std::string& name)
      : socket_("kgrid-e2e-" + std::to_string(::getpid()) + "-" + name) {
    Command c = tmux("new-session -d -s main -x 200 -y 50 'bash --norc --noprofile'");
    INFO(c.output);
    REQUIRE(c.exit_code == 0);
    tmux("set-option -t main history-limit 20000");
  }
  ~Pane() { tmux("kill-server"); }

  // Types a line and presses Enter.
  void type(const std::string& text) {
    tmux("send-keys -t main -l " + quote(text));
    tmux("send-keys -t main Enter");
  }
  // Sends tmux key names, e.g. "C-c" or "C-a x".
  void keys(const std::string& names) { tmux("send-keys -t main " + names); }

  std::string screen() { return tmux("capture-pane -p -J -S -20000 -t main").output; }

  // Waits until `needle` is on the screen; false after `timeout_s`.
  bool wait_for(const std::string& needle, double timeout_s) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < until) {
      if (screen().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

 private:
  Command tmux(const std::string& args) { return sh("tmux -L " + socket_ + " " + args); }
  std::string socket_;
};

// One interactive kgrid command in a pane: the terminal settings are saved
// before and after it, and its exit status is printed as kgrid-exit=N.
struct Session {
  Session(const std::string& name, const std::string& kgrid_args)
      : out(name), pane(name), tmp(out.path() / "tmp") {
    fs::create_directories(tmp);
    // TMPDIR is unique, and QEMU's command line holds it: no QEMU may mention it afterwards.
    pane.type("stty -a > " + quote((out.path() / "stty-before").string()) + "; TMPDIR=" + quote(tmp.string()) + " " +
              quote(kKgrid) + " " + kgrid_args + "; echo kgrid-exit=$?; stty -a > " +
              quote((out.path() / "stty-after").string()) + "; echo saved-$((2+2))");
  }

  // After the command ended: its exit code, the terminal as before, no QEMU left.
  void check_ended(int want_exit, double timeout_s = 120) {
    INFO(pane.screen());
    // At the start of a line: the output, not the command line that prints it.
    REQUIRE(pane.wait_for("\nkgrid-exit=", timeout_s));
    CHECK(pane.screen().find("\nkgrid-exit=" + std::to_string(want_exit) + "\n") != std::string::npos);
    REQUIRE(pane.wait_for("saved-4", 10));
    std::string before = slurp(out.path() / "stty-before"), after = slurp(out.path() / "stty-after");
    CHECK(!before.empty());
    CHECK(before == after);
    CHECK(count_processes_mentioning(tmp.string()) == 0);
  }

  OutDir out;
  Pane pane;
  fs::path tmp;
};

constexpr double kBoot = 240;  // TCG on a busy machine

}  // namespace

TEST_CASE("kgrid shell: the guest answers commands, runs kgrid-test, takes Ctrl-C, and poweroff ends it cleanly") {
  std::string release = release_of(bookworm());
  Session s("shell-main", "shell " + quote(bookworm()));
  INFO(s.pane.screen());
  REQUIRE(s.pane.wait_for("kgrid@" + release + ":/# ", kBoot));
  CHECK(s.pane.screen().find("Linux version " + release) != std::string::npos);  // the kernel log

  s.pane.type("echo \"release=$(uname -r)=end\"");
  CHECK(s.pane.wait_for("release=" + release + "=end", 30));

  s.pane.type("kgrid-test");
  CHECK(s.pane.wait_for("kgrid-test: PASS", 240));
  CHECK(s.pane.screen().find("modern_bpf: PASS") != std::string::npos);

  // Ctrl-C reaches the guest's foreground job, not kgrid.
  s.pane.type("sleep 1000");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  s.pane.keys("C-c");
  s.pane.type("echo \"after-ctrl-c-$((20+22))\"");
  CHECK(s.pane.wait_for("after-ctrl-c-42", 30));
  CHECK(s.pane.screen().find("\nkgrid-exit=") == std::string::npos);

  s.pane.type("poweroff");
  s.check_ended(0);
}

TEST_CASE("kgrid shell: exiting the shell ends QEMU and restores the terminal") {
  Session s("shell-exit", "shell " + quote(bookworm()));
  INFO(s.pane.screen());
  REQUIRE(s.pane.wait_for(":/# ", kBoot));
  s.pane.type("exit");
  s.check_ended(0);
}

TEST_CASE("kgrid shell: Ctrl-A x leaves at once") {
  Session s("shell-escape", "shell " + quote(bookworm()));
  INFO(s.pane.screen());
  REQUIRE(s.pane.wait_for(":/# ", kBoot));
  s.pane.keys("C-a x");
  s.check_ended(0, 30);
  CHECK(s.pane.screen().find("QEMU: Terminated") != std::string::npos);
}

TEST_CASE("kgrid shell: a kernel panic is shown, QEMU ends and the terminal comes back") {
  Session s("shell-panic", "shell " + quote(bookworm()));
  INFO(s.pane.screen());
  REQUIRE(s.pane.wait_for(":/# ", kBoot));
  s.pane.type("echo c > /proc/sysrq-trigger");
  s.check_ended(1);
  std::string screen = s.pane.screen();
  CHECK(screen.find("Kernel panic - not syncing") != std::string::npos);
  CHECK(screen.find("kgrid shell: the kernel crashed (panic)") != std::string::npos);
}

TEST_CASE("kgrid shell --gdb: gdb attaches with the printed command, reads a register and detaches") {
  Session s("shell-gdb", "shell --gdb " + quote(bookworm()));
  INFO(s.pane.screen());
  REQUIRE(s.pane.wait_for("target remote 127.0.0.1:", 60));
  std::string screen = s.pane.screen();
  auto at = screen.find("    gdb -q -ex 'target remote 127.0.0.1:");
  REQUIRE(at != std::string::npos);
  std::string command = screen.substr(at + 4, screen.find('\n', at) - at - 4);
  CHECK(screen.find("nokaslr") != std::string::npos);

  // The CPU is halted at the reset vector until the debugger lets it go.
  Command gdb = sh("timeout 120 " + command + " -batch -ex 'info registers rip' -ex detach");
  INFO(gdb.output);
  CHECK(gdb.exit_code == 0);
  CHECK(gdb.output.find("rip") != std::string::npos);
  CHECK(gdb.output.find("0xfff0") != std::string::npos);

  // Detached, the kernel boots as usual.
  REQUIRE(s.pane.wait_for(":/# ", kBoot));
  s.pane.type("poweroff");
  s.check_ended(0);
}

TEST_CASE("kgrid shell: a missing busybox or gdb is refused with how to install it") {
  Command no_busybox = run_kgrid({"shell", "--busybox", "/nonexistent/busybox", bookworm()});
  INFO(no_busybox.output);
  CHECK(no_busybox.exit_code == 2);
  CHECK(no_busybox.output.find("apt-get install busybox-static") != std::string::npos);

  Command no_gdb = sh("PATH=/nonexistent-kgrid-bin " + quote(kKgrid) + " shell --gdb " + quote(bookworm()));
  INFO(no_gdb.output);
  CHECK(no_gdb.exit_code == 2);
  CHECK(no_gdb.output.find("apt-get install gdb") != std::string::npos);
}

TEST_CASE("kgrid repro re-runs a failing kernel exactly, with the console shown, and fails the same way") {
  OutDir out("repro-fail");
  Command run = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str(), "--probe-fault", "nocapture"});
  INFO(run.output);
  REQUIRE(run.exit_code == 1);
  auto results = read_results(out.path());
  REQUIRE(results.kernels.size() == 1);
  fs::path dir = out.path() / "kernels" / results.kernels[0].id;
  CHECK(fs::exists(dir / "qemu.json"));

  Command repro = run_kgrid({"repro", dir.string()});
  INFO(repro.output);
  CHECK(repro.exit_code == 1);
  CHECK(repro.output.find("Linux version") != std::string::npos);  // the live console
  CHECK(repro.output.find("kgrid.stop_on_fail=1") != std::string::npos);
  CHECK(repro.output.find("kgrid repro: FAIL " + results.kernels[0].id) != std::string::npos);
  CHECK(repro.output.find("modern_bpf: expected") != std::string::npos);
  CHECK(count_processes_mentioning(out.str()) == 0);

  // --shell: the same tests, then a shell on the terminal; the verdict when it ends.
  Session s("repro-shell", "repro --shell " + quote(dir.string()));
  INFO(s.pane.screen());
  REQUIRE(s.pane.wait_for(":/# ", kBoot + 120));
  CHECK(s.pane.screen().find("modern_bpf: FAIL") != std::string::npos);
  s.pane.type("poweroff");
  s.check_ended(1);
  CHECK(s.pane.screen().find("kgrid repro: FAIL " + results.kernels[0].id) != std::string::npos);
}

TEST_CASE("kgrid repro of a passing kernel passes") {
  OutDir out("repro-pass");
  Command run = run_kgrid({"run", "--kernel", bookworm(), "--out", out.str()});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  auto results = read_results(out.path());
  REQUIRE(results.kernels.size() == 1);
  Command repro = run_kgrid({"repro", (out.path() / "kernels" / results.kernels[0].id).string()});
  INFO(repro.output);
  CHECK(repro.exit_code == 0);
  CHECK(repro.output.find("kgrid repro: PASS " + results.kernels[0].id) != std::string::npos);

  Command missing = run_kgrid({"repro", (out.path() / "kernels" / "no-such-kernel").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("expected OUT/kernels/<id>") != std::string::npos);
}
