#include "results/results.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace kgrid::results;

namespace {
RunResults sample() {
  RunResults run;
  run.kgrid_version = "0.1.0";
  run.accel = "tcg";
  KernelResult k;
  k.id = "debian-bookworm-6.1.0-50-amd64";
  k.version = "6.1.0-50-amd64";
  k.arch = "x86_64";
  k.verdict = Verdict::Fail;
  k.reason = "modern_bpf: expected 5000 getppid events";
  k.boot_s = 2.5;
  TestResult t;
  t.name = "modern_bpf";
  t.driver = "modern_bpf";
  t.verdict = Verdict::Fail;
  t.reason = "expected 5000 getppid events";
  t.metrics = {{"events", 12}, {"drops", 0}};
  k.tests.push_back(t);
  run.kernels.push_back(k);
  return run;
}
}  // namespace

TEST_CASE("the start time is ISO 8601 in UTC") {
  std::string now = utc_now_iso8601();
  REQUIRE(now.size() == 20);
  CHECK(now[4] == '-');
  CHECK(now[10] == 'T');
  CHECK(now.back() == 'Z');
  CHECK(now.rfind("20", 0) == 0);
}

TEST_CASE("results survive JSON") {
  auto back = from_json(to_json(sample()));
  REQUIRE(back.ok());
  REQUIRE(back->kernels.size() == 1);
  CHECK(back->kernels[0].verdict == Verdict::Fail);
  CHECK(back->kernels[0].tests[0].metrics.at("events") == 12);
  CHECK(back->kernels[0].boot_s == doctest::Approx(2.5));
  CHECK(back->kernels[0].init_s == 0);

  RunResults run = sample();
  run.accel_reason = "KVM unusable: there is no /dev/kvm; using TCG";
  run.kernels[0].accel = "tcg";
  run.kernels[0].accel_note = "under KVM it did not reach init (BOOT_FAIL: ...); this verdict is TCG's";
  run.kernels[0].init_s = 1.25;
  run.kernels[0].tests[0].metrics["cost.overhead_pct"] = 14.5;
  run.timings = {{"resolve kernels", 0.5}, {"boot", 12.25}};
  back = from_json(to_json(run));
  REQUIRE(back.ok());
  CHECK(back->kernels[0].init_s == 1.25);
  CHECK(back->accel_reason == run.accel_reason);
  CHECK(back->kernels[0].accel == "tcg");
  CHECK(back->kernels[0].accel_note == run.kernels[0].accel_note);
  CHECK(format_summary(*back).find("accel: KVM unusable: there is no /dev/kvm; using TCG\n") != std::string::npos);
  CHECK(format_summary(*back).find("    accel: tcg, under KVM it did not reach init") != std::string::npos);
  CHECK(back->kernels[0].tests[0].metrics.at("cost.overhead_pct") == 14.5);
  CHECK(back->timings == run.timings);
  auto bad = from_json(R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "init_s": "1"}]})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "results.kernels[0].init_s: expected a number, found string");
}

TEST_CASE("bad results files get errors that name the field") {
  std::string good = to_json(sample());
  auto truncated = from_json(good.substr(0, good.size() / 2));
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().message.find("not valid JSON") != std::string::npos);

  auto future = from_json(R"({"schema": 99, "kernels": []})");
  REQUIRE_FALSE(future.ok());
  CHECK(future.error().message.find("results.schema") != std::string::npos);

  auto bad_verdict = from_json(R"({"schema": 1, "kernels": [{"id": "a", "verdict": "GREAT"}]})");
  REQUIRE_FALSE(bad_verdict.ok());
  CHECK(bad_verdict.error().message.find("results.kernels[0].verdict") != std::string::npos);

  auto wrong_type = from_json(R"({"schema": 1, "kernels": [{"id": 5, "verdict": "PASS"}]})");
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.error().message.find("results.kernels[0].id") != std::string::npos);
}

TEST_CASE("summary has one line per kernel, the reason and totals") {
  std::string s = format_summary(sample());
  CHECK(s.find("FAIL        debian-bookworm-6.1.0-50-amd64") != std::string::npos);
  CHECK(s.find("expected 5000 getppid events") != std::string::npos);
  CHECK(s.find("totals: 1 FAIL") != std::string::npos);
}

TEST_CASE("atomic write leaves no temp file behind") {
  auto dir = std::filesystem::temp_directory_path() / ("kgrid-results-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  REQUIRE(write_results_json(dir, sample()).ok());
  REQUIRE(write_results_json(dir, sample()).ok());
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);
  std::ifstream in(dir / "results.json");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(from_json(text).ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("schema 1 files, as kgrid 0.1.0 wrote them, are still read, with distro/series/flavor derived") {
  auto run = read_results_file(std::string(KGRID_SOURCE_DIR) + "/results/testdata/results-schema1.json");
  REQUIRE_MESSAGE(run.ok(), run.error().message);
  REQUIRE(run->kernels.size() == 3);
  const auto& k = run->kernels[0];
  CHECK(k.id == "debian-bookworm-6.1.0-50-amd64");
  CHECK(k.distro == "debian");
  CHECK(k.series == "6.1");
  CHECK(k.flavor == "amd64");
  CHECK(k.tests[0].compiler.empty());
  CHECK(k.tests[0].metrics.at("events_per_s") == 26539);
  CHECK(run->kernels[1].verdict == Verdict::Fail);
  CHECK(run->kernels[1].distro == "local");
  CHECK(run->kernels[2].verdict == Verdict::Panic);
  // Written back, it is schema 2 with the derived fields stored.
  std::string again = to_json(*run);
  CHECK(again.find("\"schema\": 2") != std::string::npos);
  CHECK(again.find("\"series\": \"6.1\"") != std::string::npos);
}

TEST_CASE("schema 2 keeps compilers and build results") {
  RunResults run = sample();
  run.kernels[0].tests[0].compiler = "clang-16";
  BuildResult b;
  b.driver = "modern_bpf";
  b.compiler = "clang-16";
  b.verdict = Verdict::Fail;
  b.reason = "CO-RE relocation failed";
  b.metrics = {{"duration_ms", 900}};
  run.kernels[0].builds.push_back(b);
  run.kernels[0].flavor = "custom";
  auto back = from_json(to_json(run));
  REQUIRE_MESSAGE(back.ok(), back.error().message);
  REQUIRE(back->kernels[0].builds.size() == 1);
  CHECK(back->kernels[0].builds[0].verdict == Verdict::Fail);
  CHECK(back->kernels[0].builds[0].compiler == "clang-16");
  CHECK(back->kernels[0].builds[0].metrics.at("duration_ms") == 900);
  CHECK(back->kernels[0].tests[0].compiler == "clang-16");
  CHECK(back->kernels[0].flavor == "custom");  // a stored value wins over the derived one
}

TEST_CASE("hand-edited files: wrong types and shapes are errors that name the field") {
  auto error_of = [](const std::string& text) {
    auto r = from_json(text);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(error_of(R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "boot_s": "fast"}]})")
            .find("results.kernels[0].boot_s") != std::string::npos);
  CHECK(error_of(R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "tests": {}}]})")
            .find("results.kernels[0].tests: expected an array") != std::string::npos);
  CHECK(error_of(R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "tests": [{"name": "t", "verdict": "PASS", "metrics": {"events": "many"}}]}]})")
            .find("results.kernels[0].tests[0].metrics.events") != std::string::npos);
  CHECK(error_of(R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "tests": [{"verdict": "PASS"}]}]})")
            .find("results.kernels[0].tests[0].name: missing") != std::string::npos);
  CHECK(error_of(R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "builds": [{"driver": "d", "verdict": "MEH"}]}]})")
            .find("results.kernels[0].builds[0].verdict") != std::string::npos);
  CHECK(error_of(R"({"schema": 2, "kernels": [{"id": "a", "verdict": "PASS", "warnings": "none"}]})")
            .find("results.kernels[0].warnings") != std::string::npos);
  CHECK(error_of(R"({"schema": 2, "wall_s": "1m", "kernels": []})").find("results.wall_s") != std::string::npos);
  CHECK(error_of(R"({"schema": 2})").find("results.kernels: missing") != std::string::npos);
  CHECK(error_of(R"({"schema": "2", "kernels": []})").find("results.schema") != std::string::npos);
  CHECK(error_of(R"({"schema": 0, "kernels": []})").find("results.schema") != std::string::npos);
  CHECK(error_of(R"([1, 2])").find("results: expected an object") != std::string::npos);
}

TEST_CASE("a truncated file says where it ends; a file that cannot be read names the path") {
  std::string good = to_json(sample());
  auto cut = from_json(good.substr(0, 40));
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().message.find("truncated") != std::string::npos);
  CHECK(cut.error().message.find("line") != std::string::npos);
  auto missing = read_results_file("/nonexistent/kgrid-out");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("/nonexistent/kgrid-out") != std::string::npos);
}
