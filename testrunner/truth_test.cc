#include "testrunner/truth.h"

#include <doctest/doctest.h>

using namespace kgrid::testrunner;

TEST_CASE("the generator's ground truth parses") {
  auto t = parse_truth(
      "starting\n"
      "kgrid-gen: pid=57\n"
      "kgrid-gen: syscall nr=110 name=getppid n=5000\n"
      "kgrid-gen: syscall nr=39 name=getpid n=7\r\n"
      "kgrid-gen: done\n");
  REQUIRE(t.ok());
  CHECK(t->pid == 57);
  REQUIRE(t->syscalls.size() == 2);
  CHECK(t->syscalls[0].nr == 110);
  CHECK(t->syscalls[0].name == "getppid");
  CHECK(t->syscalls[0].n == 5000);
  CHECK(t->syscalls[1].n == 7);
}

TEST_CASE("incomplete or malformed truth is an error that says what is wrong") {
  auto no_pid = parse_truth("kgrid-gen: syscall nr=110 name=getppid n=5\nkgrid-gen: done\n");
  REQUIRE_FALSE(no_pid.ok());
  CHECK(no_pid.error().message.find("pid=") != std::string::npos);

  auto no_done = parse_truth("kgrid-gen: pid=5\nkgrid-gen: syscall nr=110 name=getppid n=5\n");
  REQUIRE_FALSE(no_done.ok());
  CHECK(no_done.error().message.find("kgrid-gen: done") != std::string::npos);

  auto bad = parse_truth("kgrid-gen: pid=5\nkgrid-gen: syscall nr=abc name=x n=5\nkgrid-gen: done\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("malformed") != std::string::npos);
  CHECK_FALSE(parse_truth("kgrid-gen: pid=x\nkgrid-gen: done\n").ok());
}
