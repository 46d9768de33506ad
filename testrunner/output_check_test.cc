#include "testrunner/output_check.h"

#include <doctest/doctest.h>

using namespace kgrid;
using namespace kgrid::testrunner;

TEST_CASE("a wanted line: some line matches, anchors are per line") {
  plan::OutputExpectation e{"stdout", true, "^kgrid-probe: stat events=[1-9][0-9]* drops=0"};
  CHECK_FALSE(check_output(e, "kgrid-probe: ready\nkgrid-probe: stat events=12 drops=0 lost=0\n"));
  auto why = check_output(e, "kgrid-probe: ready\nx kgrid-probe: stat events=12 drops=0\nbye\n");
  REQUIRE(why);
  CHECK(*why == "no stdout line matches /^kgrid-probe: stat events=[1-9][0-9]* drops=0/ (last line: 'bye')");
  CHECK(*check_output(e, "") == "no stdout line matches /^kgrid-probe: stat events=[1-9][0-9]* drops=0/ "
                                "(stdout was empty)");
}

TEST_CASE("a forbidden line: no line may match") {
  plan::OutputExpectation e{"stderr", false, "WARN(ING)?:"};
  CHECK_FALSE(check_output(e, "all good\n"));
  CHECK(*check_output(e, "a\nWARNING: careful\n") == "stderr has a line matching /WARN(ING)?:/: 'WARNING: careful'");
}

TEST_CASE("expectations pick their stream; the first failure is reported") {
  std::vector<plan::OutputExpectation> all = {{"stdout", true, "^out$"}, {"stderr", true, "^err$"}};
  CHECK_FALSE(check_outputs(all, "out\n", "err\n"));
  CHECK(check_outputs(all, "err\n", "out\n")->rfind("no stdout line", 0) == 0);
  CHECK(check_outputs(all, "out\n", "")->rfind("no stderr line", 0) == 0);
}

TEST_CASE("bad expressions are reported, not crashed on") {
  CHECK(regex_error("a(b"));
  CHECK_FALSE(regex_error("a(b)+[0-9]{2,}$"));
  auto why = check_output({"stdout", true, "a(b"}, "ab\n");
  REQUIRE(why);
  CHECK(why->rfind("bad regular expression stdout /a(b/: ", 0) == 0);
}
