#include "common/plan.h"

#include <doctest/doctest.h>

using namespace kgrid::plan;

TEST_CASE("a plan survives format and parse") {
  Plan p;
  Test t;
  t.name = "modern_bpf";
  t.driver = "modern_bpf";
  t.probe = {"/kgrid/bin/kgrid-probe", "--driver", "modern_bpf"};
  t.ready = "kgrid-probe: ready";
  t.gen = {"/kgrid/bin/kgrid-gen"};
  t.timeout_s = 42;
  t.requires_ = {"btf", "ringbuf"};
  t.min_kernel = "5.8";
  t.expect_truth = true;
  t.metrics = {{"drops", "==", 0}, {"events", ">=", 1.5}};
  p.tests.push_back(t);
  auto parsed = parse_plan(format_plan(p));
  REQUIRE(parsed.ok());
  REQUIRE(parsed->tests.size() == 1);
  const Test& q = parsed->tests[0];
  CHECK(q.probe == t.probe);
  CHECK(q.gen == t.gen);
  CHECK(q.ready == t.ready);
  CHECK(q.timeout_s == 42);
  CHECK(q.requires_ == t.requires_);
  CHECK(q.min_kernel == "5.8");
  CHECK(q.expect_truth);
  REQUIRE(q.metrics.size() == 2);
  CHECK(q.metrics[1].op == ">=");
  CHECK(q.metrics[1].value == doctest::Approx(1.5));
}

TEST_CASE("bad plans are rejected with the line") {
  CHECK_FALSE(parse_plan("").ok());
  CHECK_FALSE(parse_plan("kgrid-plan 2\n").ok());
  auto r = parse_plan("kgrid-plan 1\ntest a\nprobe /x\nexpect metric drops ~ 0\nend\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("line 4") != std::string::npos);
  CHECK_FALSE(parse_plan("kgrid-plan 1\ntest a\nprobe /x\n").ok());
  CHECK_FALSE(parse_plan("kgrid-plan 1\ntest a\nend\n").ok());
  CHECK_FALSE(parse_plan("kgrid-plan 1\nprobe /x\n").ok());
}

TEST_CASE("kernel versions compare numerically") {
  CHECK(compare_versions("5.10.0-32-amd64", "5.8") > 0);
  CHECK(compare_versions("5.4", "5.8") < 0);
  CHECK(compare_versions("6.1.0-50-amd64", "6.1") == 0);
  CHECK(compare_versions("6.12.117+deb13-amd64", "6.2") > 0);
}

TEST_CASE("a v1 plan without the additive directives reads with their defaults") {
  auto r = parse_plan("kgrid-plan 1\ntest a\nprobe /x --y\nend\n");
  REQUIRE(r.ok());
  const Test& t = r->tests[0];
  CHECK(t.format == "kgrid");
  CHECK(t.stop_signal == "SIGINT");
  CHECK(t.stop_when == "generator");
  CHECK(t.stop_after_s == 0);
  CHECK_FALSE(t.pty);
  CHECK(t.outputs.empty());
  CHECK(t.cost);
  CHECK(t.cost_ops == kDefaultCostOps);
  CHECK(t.cost_rounds == kDefaultCostRounds);
  // and it is written back without them
  CHECK(format_plan(*r) == "kgrid-plan 1\ntest a\ndriver \nprobe /x --y\ntimeout_s 60\nexpect exit 0\nend\n");
}

TEST_CASE("the additive directives survive format and parse") {
  Plan p;
  Test t;
  t.name = "user";
  t.driver = "scap";
  t.probe = {"/kgrid/bin/sh", "-c", "echo  two spaces; exit 0", ""};
  t.gen = {"/kgrid/bin/gen", "a b"};
  t.max_kernel = "6.12";
  t.arch = {"x86_64", "aarch64"};
  t.config = {"CONFIG_BPF", "CONFIG_DEBUG_INFO_BTF=y"};
  t.skip = "CONFIG_FOO is not set (needs y or m)";
  t.format = "scap-open";
  t.pty = true;
  t.stop_signal = "SIGTERM";
  t.stop_when = "exit";
  t.stop_after_s = 5;
  t.outputs = {{"stdout", true, "^events: [0-9]+ ok$"}, {"stderr", false, " WARN(ING)? "}};
  p.tests.push_back(t);
  auto parsed = parse_plan(format_plan(p));
  INFO(format_plan(p));
  REQUIRE(parsed.ok());
  const Test& q = parsed->tests[0];
  CHECK(q.probe == t.probe);
  CHECK(q.gen == t.gen);
  CHECK(q.max_kernel == "6.12");
  CHECK(q.arch == t.arch);
  CHECK(q.config == t.config);
  CHECK(q.skip == t.skip);
  CHECK(q.format == "scap-open");
  CHECK(q.pty);
  CHECK(q.stop_signal == "SIGTERM");
  CHECK(q.stop_when == "exit");
  CHECK(q.stop_after_s == 5);
  REQUIRE(q.outputs.size() == 2);
  CHECK(q.outputs[0].stream == "stdout");
  CHECK(q.outputs[0].present);
  CHECK(q.outputs[0].regex == "^events: [0-9]+ ok$");
  CHECK(q.outputs[1].stream == "stderr");
  CHECK_FALSE(q.outputs[1].present);
  CHECK(q.outputs[1].regex == " WARN(ING)? ");
}

TEST_CASE("bad additive directives are rejected") {
  auto bad = [](const std::string& line) {
    return !parse_plan("kgrid-plan 1\ntest a\nprobe /x\n" + line + "\nend\n").ok();
  };
  CHECK(bad("format json"));
  CHECK(bad("stop_signal SIGSEGV"));
  CHECK(bad("stop_when later"));
  CHECK(bad("stop_after_s -1"));
  CHECK(bad("require config FOO"));
  CHECK(bad("require config CONFIG_X="));
  CHECK(bad("expect stdout"));
  CHECK(bad("max_kernel six"));
  CHECK(bad("skip"));
  CHECK_FALSE(bad("require config CONFIG_X=m"));
}

TEST_CASE("cost: off, sized, or the default (not written)") {
  auto one = [](const std::string& line) {
    auto r = parse_plan("kgrid-plan 1\ntest a\nprobe /x\n" + line + "\nend\n");
    REQUIRE(r.ok());
    return r->tests[0];
  };
  CHECK_FALSE(one("cost off").cost);
  Test sized = one("cost 5000 5");
  CHECK(sized.cost);
  CHECK(sized.cost_ops == 5000);
  CHECK(sized.cost_rounds == 5);

  Plan p;
  p.tests.push_back(sized);
  CHECK(format_plan(p).find("cost 5000 5\n") != std::string::npos);
  p.tests[0].cost = false;
  CHECK(format_plan(p).find("cost off\n") != std::string::npos);
  p.tests[0] = one("");
  CHECK(format_plan(p).find("cost") == std::string::npos);

  for (const char* line : {"cost", "cost on", "cost 0 3", "cost 100001 3", "cost 100 0", "cost 100 16", "cost 1 2 3"}) {
    CAPTURE(line);
    CHECK_FALSE(parse_plan(std::string("kgrid-plan 1\ntest a\nprobe /x\n") + line + "\nend\n").ok());
  }
}

TEST_CASE("max_kernel compares only the parts it names") {
  CHECK(version_parts("6.12") == 2);
  CHECK(version_parts("6") == 1);
  CHECK(version_parts("6.") == 0);
  CHECK(version_parts("x") == 0);
  CHECK(compare_versions("6.12.117+deb13-amd64", "6.12", 2) == 0);
  CHECK(compare_versions("6.13.1", "6.12", 2) > 0);
}

TEST_CASE("config requirements") {
  auto config = [](std::string_view name) -> std::optional<std::string> {
    if (name == "CONFIG_Y") return "y";
    if (name == "CONFIG_M") return "m";
    if (name == "CONFIG_S") return "\"abc\"";
    return std::nullopt;
  };
  CHECK_FALSE(unmet_config("CONFIG_Y", config));
  CHECK_FALSE(unmet_config("CONFIG_M", config));
  CHECK_FALSE(unmet_config("CONFIG_Y=y", config));
  CHECK_FALSE(unmet_config("CONFIG_NO=n", config));
  CHECK_FALSE(unmet_config("CONFIG_S=\"abc\"", config));
  CHECK(*unmet_config("CONFIG_NO", config) == "CONFIG_NO is not set (needs y or m)");
  CHECK(*unmet_config("CONFIG_M=y", config) == "CONFIG_M=m (needs y)");
  CHECK(*unmet_config("CONFIG_Y=n", config) == "CONFIG_Y=y (needs it not set)");
  CHECK(valid_config_requirement("CONFIG_A_1=y"));
  CHECK_FALSE(valid_config_requirement("BPF"));
  CHECK_FALSE(valid_config_requirement("CONFIG_"));
}
