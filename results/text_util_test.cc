#include "results/text_util.h"

#include <doctest/doctest.h>

#include <fstream>

#include "results/testing.h"

using namespace kgrid::results;

TEST_CASE("clean_text makes console bytes safe for XML and HTML") {
  CHECK(clean_text("ok\r\n") == "ok\n");
  CHECK(clean_text("a\x1b[0mb") == "a\xEF\xBF\xBD[0mb");
  CHECK(clean_text("bad \xff byte") == "bad \xEF\xBF\xBD byte");
  CHECK(clean_text("cut \xE2\x82") == "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(clean_text("euro \xE2\x82\xAC") == "euro \xE2\x82\xAC");
  CHECK(clean_text("overlong \xC0\xAF") == "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("escapes") {
  CHECK(xml_escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  CHECK(md_cell("a|b\n<c>") == "a\\|b &lt;c&gt;");
  CHECK(url_segment("debian-sid-7.2.13+deb14-amd64") == "debian-sid-7.2.13%2Bdeb14-amd64");
  CHECK(shell_word("/tmp/out/kernels/x") == "/tmp/out/kernels/x");
  CHECK(shell_word("/tmp/my out") == "'/tmp/my out'");
  CHECK(shell_word("it's") == "'it'\\''s'");
}

TEST_CASE("clip cuts on a character boundary") {
  CHECK(clip("short", 10) == "short");
  CHECK(clip("abcdef", 3) == "abc…");
  CHECK(clip("a\xE2\x82\xAC", 2) == "a…");
}

TEST_CASE("human numbers") {
  CHECK(human_number(0) == "0");
  CHECK(human_number(12) == "12");
  CHECK(human_number(38746) == "38.7k");
  CHECK(human_number(1250000) == "1.25M");
  CHECK(human_number(0.5) == "0.5");
  CHECK(signed_percent(12.34) == "+12%");
  CHECK(signed_percent(4.26) == "+4.3%");
  CHECK(signed_percent(-0.5) == "-0.5%");
  CHECK(signed_percent(-0.01) == "0%");
  CHECK(signed_percent(-150.4) == "-150%");
}

TEST_CASE("file_tail keeps the last lines, whole and clean") {
  testing::TempDir dir("tail");
  auto path = dir.path() / "console.log";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 100; ++i) out << "line " << i << "\r\n";
  }
  std::string tail = file_tail(path, 3, 1 << 20);
  CHECK(tail == "line 97\nline 98\nline 99\n");
  std::string bytes_cut = file_tail(path, 1000, 30);
  CHECK(bytes_cut.rfind("line ", 0) == 0);  // starts at a whole line
  CHECK(bytes_cut.find("line 99") != std::string::npos);
  CHECK(file_tail(dir.path() / "missing.log", 10, 100).empty());
}
