// junit.xml: one <testsuite> per kernel, one <testcase> per build and per
// (driver, compiler, test); failures carry the reason, <system-out> the tail
// of the kernel's console.
#include <fmt/format.h>

#include "results/grid_view.h"
#include "results/reports.h"
#include "results/text_util.h"

namespace kgrid::results {
namespace {

constexpr size_t kConsoleLines = 80;
constexpr size_t kConsoleBytes = 16384;
constexpr size_t kMessageBytes = 500;

struct Counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
};

// <failure>, <error> or <skipped> for a verdict; "" for PASS.
std::string outcome_element(Verdict v, const std::string& reason, Counts& counts) {
  ++counts.tests;
  std::string why = clean_text(reason.empty() ? std::string(verdict_name(v)) : reason);
  std::string message = xml_escape(clip(first_line(why), kMessageBytes));
  switch (v) {
    case Verdict::Pass:
      return "";
    case Verdict::Skip:
      ++counts.skipped;
      return fmt::format("      <skipped message=\"{}\"/>\n", message);
    case Verdict::Fail:
      ++counts.failures;
      return fmt::format("      <failure message=\"{}\" type=\"FAIL\">{}</failure>\n", message, xml_escape(why));
    default:
      ++counts.errors;
      return fmt::format("      <error message=\"{}\" type=\"{}\">{}</error>\n", message, verdict_name(v),
                         xml_escape(why));
  }
}

std::string testcase(const std::string& name, const std::string& classname, double time_s, const std::string& body) {
  std::string open = fmt::format("    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3f}\"", xml_escape(name),
                                 xml_escape(classname), time_s);
  if (body.empty()) return open + "/>\n";
  return open + ">\n" + body + "    </testcase>\n";
}

std::string property(const char* name, const std::string& value) {
  return fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", name, xml_escape(clean_text(value)));
}

// JUnit consumers expect a timestamp without a zone (it is UTC).
std::string junit_timestamp(std::string t) {
  if (!t.empty() && t.back() == 'Z') t.pop_back();
  return t;
}

std::string suite(const ReportInput& in, const Row& row, Counts& total) {
  const KernelResult& k = *row.kernel;
  Counts counts;
  std::string cases;
  for (const auto& b : k.builds) {
    std::string classname = k.id + "." + b.driver + (b.compiler.empty() ? "" : "." + b.compiler);
    auto ms = b.metrics.find("duration_ms");
    cases += testcase("build", classname, ms == b.metrics.end() ? 0 : ms->second / 1000,
                      outcome_element(b.verdict, b.reason, counts));
  }
  for (const auto& t : k.tests) {
    std::string driver = t.driver.empty() ? t.name : t.driver;
    std::string classname = k.id + "." + driver + (t.compiler.empty() ? "" : "." + t.compiler);
    auto ms = t.metrics.find("duration_ms");
    cases += testcase(t.name, classname, ms == t.metrics.end() ? 0 : ms->second / 1000,
                      outcome_element(t.verdict, t.reason, counts));
  }
  // A kernel that failed for its own reasons (panic, no boot, timeout) gets a
  // case of its own, so that the failure is never hidden behind passing tests.
  bool own_failure = k.verdict != Verdict::Pass && k.verdict != Verdict::Skip && !reason_from_tests(k);
  if (own_failure || (k.tests.empty() && k.builds.empty()))
    cases += testcase("kernel", k.id, k.duration_s, outcome_element(k.verdict, k.reason, counts));

  total.tests += counts.tests;
  total.failures += counts.failures;
  total.errors += counts.errors;
  total.skipped += counts.skipped;

  const RunResults& run = *in.run;
  std::string out = fmt::format(
      "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\" "
      "timestamp=\"{}\" hostname=\"qemu-{}\">\n",
      xml_escape(k.id), counts.tests, counts.failures, counts.errors, counts.skipped, k.duration_s,
      xml_escape(junit_timestamp(run.started_at)), xml_escape(run.accel.empty() ? "vm" : run.accel));
  out += "    <properties>\n";
  out += property("verdict", verdict_name(k.verdict));
  if (!k.reason.empty()) out += property("reason", k.reason);
  out += property("version", k.version);
  out += property("arch", k.arch);
  out += property("series", row.series);
  out += property("flavor", k.flavor);
  out += property("source", k.source);
  out += property("boot_s", fmt::format("{:.3f}", k.boot_s));
  out += property("console", "kernels/" + k.id + "/console.log");
  if (k.verdict != Verdict::Pass) out += property("repro", repro_command(in.out_dir, k));
  for (const auto& w : k.warnings) out += property("warning", w);
  if (!k.accel.empty()) out += property("accel", k.accel_note.empty() ? k.accel : k.accel + ", " + k.accel_note);
  out += "    </properties>\n";
  out += cases;
  std::string tail = file_tail(in.out_path / "kernels" / k.id / "console.log", kConsoleLines, kConsoleBytes);
  out += "    <system-out>" + xml_escape(tail) + "</system-out>\n";
  out += "  </testsuite>\n";
  return out;
}

}  // namespace

std::string format_junit(const ReportInput& in) {
  const RunResults& run = *in.run;
  GridView view = make_grid_view(run);  // the same kernel order as every other report
  Counts total;
  std::string suites;
  for (const auto& group : view.groups)
    for (const auto& row : group.rows) suites += suite(in, row, total);
  return fmt::format(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<testsuites name=\"kgrid\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
             total.tests, total.failures, total.errors, total.skipped, run.wall_s) +
         suites + "</testsuites>\n";
}

}  // namespace kgrid::results
