#include "testrunner/text.h"

#include <doctest/doctest.h>

using namespace kgrid::testrunner;

TEST_CASE("lines lose their \\n and \\r") {
  auto lines = split_lines("a\r\nb\n\nc");
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "a");
  CHECK(lines[2] == "");
  CHECK(lines[3] == "c");
  CHECK(split_lines("").empty());
}

TEST_CASE("last non-empty lines keep their order") {
  auto tail = last_nonempty_lines("one\ntwo\n\n  \nthree\n\n", 2);
  REQUIRE(tail.size() == 2);
  CHECK(tail[0] == "two");
  CHECK(tail[1] == "three");
  CHECK(last_nonempty_lines("x\n", 5).size() == 1);
}

TEST_CASE("key=value words") {
  std::vector<std::pair<std::string, std::string>> f;
  CHECK(parse_fields("events=5 drops=0  lost=", f));
  REQUIRE(f.size() == 3);
  CHECK(f[2].first == "lost");
  CHECK(f[2].second == "");
  f.clear();
  CHECK_FALSE(parse_fields("events=5 junk", f));
  CHECK_FALSE(parse_fields("=5", f));
}

TEST_CASE("the watched line is found across chunk boundaries, only as a whole line") {
  OutputBuffer b(1024, 1024);
  b.watch_line("kgrid-probe: ready");
  b.append("loading\nkgrid-probe: rea");
  CHECK_FALSE(b.seen_line());
  b.append("dy\r");
  CHECK_FALSE(b.seen_line());  // not a complete line yet
  b.append("\n");
  CHECK(b.seen_line());

  OutputBuffer c(1024, 1024);
  c.watch_line("kgrid-probe: ready");
  c.append("xkgrid-probe: ready\nkgrid-probe: ready now\n");
  CHECK_FALSE(c.seen_line());
}

TEST_CASE("a long stream keeps its head and its tail and says what was dropped") {
  OutputBuffer b(10, 20);
  b.append("head line\n");
  for (int i = 0; i < 100; ++i) b.append("middle " + std::to_string(i) + "\n");
  b.append("the end\n");
  std::string t = b.text();
  CHECK(t.rfind("head line\n", 0) == 0);
  CHECK(t.find("bytes dropped") != std::string::npos);
  CHECK(t.find("the end\n") != std::string::npos);
  CHECK(t.find("middle 5\n") == std::string::npos);
  CHECK(t.size() < 100);
  OutputBuffer small(10, 20);
  small.append("abc");
  CHECK(small.text() == "abc");
}

TEST_CASE("clip marks the cut") {
  CHECK(clip("abcdef", 10) == "abcdef");
  CHECK(clip("abcdefghijkl", 8) == "abcde...");
}
