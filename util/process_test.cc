#include "util/process.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "util/files.h"

using namespace kgrid;

namespace {
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}
}  // namespace

TEST_CASE("run_process captures both streams and the exit code, in the cwd and environment given") {
  auto dir = TempDir::create("kgrid-process-test-");
  REQUIRE(dir);
  ProcessOptions o;
  o.cwd = dir->path();
  o.env = {"KGRID_PROCESS_TEST=hello"};
  auto r = run_process({"/bin/sh", "-c", "pwd; echo $KGRID_PROCESS_TEST; echo oops >&2; exit 3"}, o);
  REQUIRE(r);
  CHECK(r->out == dir->path().string() + "\nhello\n");
  CHECK(r->err == "oops\n");
  CHECK(r->exit_code == 3);
  CHECK_FALSE(r->ok());
  CHECK(r->describe() == "exit code 3: oops");
}

TEST_CASE("a program that is not there, or cannot start in its cwd, is an error that says so") {
  auto missing = run_process({"kgrid-no-such-program"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "kgrid-no-such-program: not found in PATH");
  auto child = Child::spawn({"/nonexistent/qemu"});
  REQUIRE_FALSE(child);
  CHECK(child.error().message == "cannot run /nonexistent/qemu: No such file or directory");
  auto nowhere = Child::spawn({"/bin/true"}, SpawnOptions{"/nonexistent-dir", {}});
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().message.find("in /nonexistent-dir") != std::string::npos);
  CHECK_FALSE(program_available("kgrid-no-such-program"));
  CHECK(program_available("sh"));
  CHECK(std::filesystem::path(find_in_path("sh")).filename() == "sh");
  CHECK(find_in_path("/").empty());  // a directory is not a program
}

TEST_CASE("a timeout kills the whole process group and is an error") {
  auto dir = TempDir::create("kgrid-process-test-");
  REQUIRE(dir);
  auto pidfile = dir->path() / "grandchild";
  ProcessOptions o;
  o.timeout = std::chrono::seconds(1);
  auto r = run_process({"/bin/sh", "-c", "sleep 100 & echo $! > " + pidfile.string() + "; sleep 100"}, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "/bin/sh: timed out after 1 s");
  pid_t grandchild = std::stoi(*read_file(pidfile));
  ::usleep(100000);
  CHECK_FALSE(alive(grandchild));
}

TEST_CASE("a Child that goes away takes its process group with it") {
  pid_t pid = 0;
  {
    auto child = Child::spawn({"/bin/sh", "-c", "sleep 100"});
    REQUIRE(child);
    pid = child->pid();
    CHECK(alive(pid));
    CHECK_FALSE(child->try_reap());
  }
  CHECK_FALSE(alive(pid));
}
