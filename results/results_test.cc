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

TEST_CASE("results survive JSON") {
  auto back = from_json(to_json(sample()));
  REQUIRE(back.ok());
  REQUIRE(back->kernels.size() == 1);
  CHECK(back->kernels[0].verdict == Verdict::Fail);
  CHECK(back->kernels[0].tests[0].metrics.at("events") == 12);
  CHECK(back->kernels[0].boot_s == doctest::Approx(2.5));
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
