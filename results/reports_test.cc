// summary.txt, summary.md, junit.xml and matrix.svg, from the sample grid.
#include "results/reports.h"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "results/testing.h"

using namespace kgrid::results;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Runs a command, returning its exit status and output.
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST_CASE("summary.txt: grouped by series, a line per kernel and test, repro on every failing kernel line") {
  std::string s = format_summary(testing::sample_grid(), "/tmp/sweep");
  auto lines = lines_of(s);
  auto index_of = [&](const std::string& needle) {
    for (size_t i = 0; i < lines.size(); ++i)
      if (lines[i].find(needle) != std::string::npos) return static_cast<int>(i);
    return -1;
  };
  // Groups in version order, each kernel under its group.
  int g510 = index_of("debian 5.10  ("), g61 = index_of("debian 6.1  ("), g612 = index_of("debian 6.12  (");
  int g72 = index_of("debian 7.2  ("), glocal = index_of("local 6.6  (");
  CHECK(g510 >= 0);
  CHECK(g510 < g61);
  CHECK(g61 < g612);
  CHECK(g612 < g72);
  CHECK(g72 < glocal);
  CHECK(lines[static_cast<size_t>(g61)] == "debian 6.1  (2 kernels: 1 PASS, 1 FAIL)");
  int cloud = index_of("debian-bookworm-6.1.0-50-cloud-amd64");
  CHECK(cloud > g61);
  CHECK(cloud < g612);

  // Every failing kernel line ends with its repro command; passing ones do not.
  int failing = 0;
  for (const auto& line : lines) {
    bool kernel_line = line.rfind("  ", 0) == 0 && line.rfind("    ", 0) != 0;
    if (!kernel_line) continue;
    std::string id = line.substr(14, line.find(' ', 14) - 14);
    if (line.rfind("  PASS", 0) == 0) {
      CHECK(line.find("kgrid repro") == std::string::npos);
    } else {
      ++failing;
      CHECK_MESSAGE(ends_with(line, "=> kgrid repro /tmp/sweep/kernels/" + id), line);
    }
  }
  CHECK(failing == 4);
  // Test lines carry reasons; the panic's reason is on its kernel line.
  CHECK(index_of("    FAIL      modern_bpf: probe exited with exit status 1") > g61);
  CHECK(index_of("    PASS      legacy_bpf [clang-16]  events/s 40.1k  drops 0  overhead +21% (1000 -> 1205 ns/op, wall +82%)  "
                  "load 300ms  test 1.2s") > g61);
  CHECK(index_of("x86_64 amd64        boot 2.4s (kernel 1.2s) total 3.9s") > g61);
  CHECK(lines[static_cast<size_t>(index_of("debian-sid-7.2.13+deb14-amd64 "))].find("Kernel panic - not syncing") !=
        std::string::npos);
  CHECK(lines.back() == "totals: 3 PASS, 2 FAIL, 1 TIMEOUT, 1 PANIC");
}

TEST_CASE("summary.txt keeps the 'totals: N PASS' form") {
  RunResults run = testing::sample_grid();
  for (auto& k : run.kernels) k.verdict = Verdict::Pass;
  std::string s = format_summary(run);
  CHECK(s.find("\ntotals: 7 PASS\n") != std::string::npos);
  CHECK(format_summary(RunResults{}).find("totals: no kernels") != std::string::npos);
}

TEST_CASE("summary.md: a matrix row per kernel with emoji cells, and the failures with repro commands") {
  RunResults grid = testing::sample_grid();
  ReportInput in{&grid, "out", "out", nullptr};
  std::string md = format_summary_md(in);
  CHECK(md.rfind("### ❌ kgrid: 3 of 7 kernel(s) passed", 0) == 0);
  CHECK(md.find("| kernel | series | arch | boot | legacy_bpf / clang-16 | modern_bpf |") != std::string::npos);
  CHECK(md.find("| ✅ `debian-bookworm-6.1.0-50-amd64` | debian 6.1 | x86_64 amd64 | 2.4 s | "
                "✅<br><sub>+21% · 40.1k ev/s</sub> | ✅<br><sub>+12% · 38.7k ev/s</sub> |") != std::string::npos);
  CHECK(md.find("| ❌ `debian-bookworm-6.1.0-50-cloud-amd64` | debian 6.1 | x86_64 cloud-amd64 | 2.2 s | "
                "✅<br><sub>+22% · 39k ev/s</sub> | ❌ FAIL |") != std::string::npos);
  CHECK(md.find("| ✅ `local-6.6.0` | local 6.6 | aarch64 | 5.5 s | · | ✅<br><sub>+30% · 12k ev/s</sub> |") !=
        std::string::npos);
  CHECK(md.find("`kgrid repro out/kernels/debian-sid-7.2.13+deb14-amd64`") != std::string::npos);
  CHECK(md.find("4 failing kernel(s)") != std::string::npos);
  // Table rows: header, rule and one per kernel.
  int rows = 0;
  for (const auto& line : lines_of(md)) rows += line.rfind("| ", 0) == 0;
  CHECK(rows == 2 + 7);
}

TEST_CASE("junit.xml validates against the JUnit schema and says what failed") {
  testing::TempDir dir("junit");
  RunResults grid = testing::sample_grid();
  testing::write_out_dir(dir.path(), grid);
  ReportInput in{&grid, dir.path().string(), dir.path(), nullptr};
  std::string xml = format_junit(in);
  fs::path file = dir.path() / "junit.xml";
  std::ofstream(file) << xml;

  std::string xsd = std::string(KGRID_SOURCE_DIR) + "/results/testdata/junit.xsd";
  auto [status, output] = run("xmllint --noout --schema " + xsd + " " + file.string());
  INFO(output);
  REQUIRE_MESSAGE(status != 127, "xmllint is missing: install libxml2-utils (scripts/install-deps)");
  CHECK(status == 0);

  auto count = [&](const std::string& xpath) {
    auto [st, out] = run("xmllint --xpath '" + xpath + "' " + file.string());
    INFO(out);
    CHECK(st == 0);
    return std::stoi(out);
  };
  CHECK(count("count(/testsuites/testsuite)") == 7);
  // 10 test results, plus a "kernel" case for the panic (its failure is its own).
  CHECK(count("count(//testcase)") == 11);
  CHECK(count("count(//testcase/failure)") == 2);
  CHECK(count("count(//testcase/error)") == 2);  // PANIC and TIMEOUT
  CHECK(count("count(//testcase/skipped)") == 1);
  CHECK(count("number(/testsuites/@tests)") == 11);
  CHECK(count("number(/testsuites/@failures)") == 2);
  CHECK(count("count(//testsuite[@name=\"debian-bookworm-6.1.0-50-cloud-amd64\"]/testcase[@name=\"modern_bpf\"]"
              "/failure[contains(@message, \"invalid access to map value\")])") == 1);
  CHECK(count("count(//testcase[@classname=\"debian-trixie-6.12.117+deb13-amd64.legacy_bpf.clang-16\"]/failure)") == 1);
  CHECK(count("count(//testsuite[@name=\"debian-sid-7.2.13+deb14-amd64\"]/testcase[@name=\"kernel\"]/error[@type=\"PANIC\"])") == 1);
  // The console tail, cleaned: its last line is there, the control bytes are not.
  CHECK(count("count(//testsuite[@name=\"local-6.6.0\"]/system-out[contains(., \"last line of local-6.6.0\")])") == 1);
  CHECK(xml.find('\x1b') == std::string::npos);
  CHECK(xml.find("&lt;tag&gt; &amp; done") != std::string::npos);
  CHECK(xml.find("boot line 150") != std::string::npos);
  CHECK(xml.find("boot line 100\n") == std::string::npos);  // only the tail
}

TEST_CASE("matrix.svg is well-formed XML with a square per kernel and column") {
  testing::TempDir dir("svg");
  RunResults grid = testing::sample_grid();
  ReportInput in{&grid, "out", dir.path(), nullptr};
  fs::path file = dir.path() / "matrix.svg";
  std::ofstream(file) << format_matrix_svg(in);
  auto [status, output] = run("xmllint --noout " + file.string());
  INFO(output);
  CHECK(status == 0);
  auto [st, rects] = run("xmllint --xpath 'count(//*[local-name()=\"rect\" and starts-with(@class, \"v-\")])' " + file.string());
  CHECK(st == 0);
  // 7 kernel squares + 7 x 2 cells, less the two kernels without a legacy_bpf result.
  CHECK(std::stoi(rects) == 7 + 14 - 2);
  auto [st2, fails] = run("xmllint --xpath 'count(//*[local-name()=\"rect\" and @class=\"v-FAIL\"]"
                          "[contains(*[local-name()=\"title\"], \"invalid access to map value\")])' " + file.string());
  CHECK(st2 == 0);
  CHECK(std::stoi(fails) == 2);  // the kernel square and its modern_bpf cell
}

TEST_CASE("write_reports regenerates every report from OUT/results.json") {
  testing::TempDir dir("reports");
  testing::write_out_dir(dir.path(), testing::sample_grid());
  REQUIRE(write_reports(dir.path()).ok());
  for (const char* name : {"summary.txt", "summary.md", "junit.xml", "matrix.html", "matrix.svg"}) {
    CHECK_MESSAGE(fs::file_size(dir.path() / name) > 100, name);
  }
  std::ofstream(dir.path() / "results.json") << "{\"schema\": 2, \"kernels\": [{\"id\": \"x\"";
  auto st = write_reports(dir.path());
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("results.json") != std::string::npos);
  CHECK(st.error().message.find("truncated") != std::string::npos);
}
