#include "sweep/spec.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sweep/spec_kernel.h"

using namespace kgrid;
using namespace kgrid::host;

namespace fs = std::filesystem;

namespace {

Result<Spec> parse(const std::string& text, const fs::path& dir = "/nonexistent") {
  return parse_spec(text, dir, "specs/t.toml", SpecDefaults{60});
}

std::string error_of(const std::string& text) {
  auto r = parse(text);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// A temporary directory with a file in it.
struct TempDir {
  TempDir() {
    path = fs::temp_directory_path() / ("kgrid-spec-test-" + std::to_string(::getpid()));
    fs::create_directories(path / "bin");
    std::ofstream(path / "bin" / "my-probe") << "#!/bin/sh\n";
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

}  // namespace

TEST_CASE("a full spec becomes a plan test") {
  TempDir dir;
  auto r = parse(R"(
name = "my_probe"
driver = "my_driver"
description = "what it is"
command = ["/kgrid/bin/my-probe", "--all", "two words"]
ready = "my-probe: attached"
generator = ["/kgrid/bin/kgrid-gen", "--getppid", "100"]
format = "kgrid"
timeout = 30
files = ["bin/my-probe:/kgrid/bin/my-probe"]

[stop]
when = "generator"
signal = "SIGTERM"
after = 2

[expect]
exit = 3
truth = true
metrics = ["events >= 100", "drops==0", " lost < 1.5 "]
stdout = ["^my-probe: [0-9]+ events$"]
stderr = "^loaded"
stdout_not = ["ERROR", "WARN"]
stderr_not = "panic"

[requires]
min_kernel = "5.8"
max_kernel = "6.12"
arch = "x86_64"
btf = true
ringbuf = false
tracefs = true
config = ["CONFIG_BPF_SYSCALL", "CONFIG_DEBUG_INFO_BTF=y"]
)",
                 dir.path);
  INFO((r ? "" : r.error().message));
  REQUIRE(r.ok());
  const plan::Test& t = r->test;
  CHECK(t.name == "my_probe");
  CHECK(t.driver == "my_driver");
  CHECK(t.probe == std::vector<std::string>{"/kgrid/bin/my-probe", "--all", "two words"});
  CHECK(t.ready == "my-probe: attached");
  CHECK(t.gen.size() == 3);
  CHECK(t.timeout_s == 30);
  CHECK(t.stop_signal == "SIGTERM");
  CHECK(t.stop_after_s == 2);
  CHECK(t.expect_exit == 3);
  CHECK(t.expect_truth);
  REQUIRE(t.metrics.size() == 3);
  CHECK(t.metrics[1].metric == "drops");
  CHECK(t.metrics[1].op == "==");
  CHECK(t.metrics[2].value == doctest::Approx(1.5));
  REQUIRE(t.outputs.size() == 5);
  CHECK(t.outputs[1].stream == "stderr");
  CHECK(t.outputs[1].present);
  CHECK(t.outputs[2].stream == "stdout");
  CHECK_FALSE(t.outputs[2].present);
  CHECK(t.min_kernel == "5.8");
  CHECK(t.max_kernel == "6.12");
  CHECK(t.arch == std::vector<std::string>{"x86_64"});
  CHECK(t.requires_ == std::vector<std::string>{"btf", "tracefs"});
  CHECK(t.config.size() == 2);
  REQUIRE(r->files.size() == 1);
  CHECK(r->files[0].host == dir.path / "bin" / "my-probe");
  CHECK(r->files[0].guest == "/kgrid/bin/my-probe");

  // and it survives the plan's text form
  plan::Plan p;
  p.tests.push_back(t);
  auto back = plan::parse_plan(plan::format_plan(p));
  REQUIRE(back.ok());
  CHECK(back->tests[0].probe == t.probe);
  CHECK(back->tests[0].outputs.size() == 5);
}

TEST_CASE("the smallest spec: a command that ends by itself; defaults") {
  auto r = parse("command = \"/opt/hello --loud\"\nformat = \"none\"\n[stop]\nwhen = \"exit\"\n");
  REQUIRE(r.ok());
  const plan::Test& t = r->test;
  CHECK(t.name == "t");  // the file name
  CHECK(t.driver == "t");
  CHECK(t.probe == std::vector<std::string>{"/opt/hello", "--loud"});
  CHECK(t.timeout_s == 60);
  CHECK(t.stop_signal == "SIGINT");
  CHECK(t.expect_exit == 0);
  CHECK_FALSE(t.pty);
  CHECK(t.ready.empty());
}

TEST_CASE("format scap-open: its ready line and a pty unless the spec says otherwise") {
  auto r = parse(R"(
command = ["/kgrid/bin/scap-open", "--modern_bpf", "--num_events", "1000"]
generator = "kgrid-gen"
format = "scap-open"
[stop]
when = "exit"
after = 20
[expect]
metrics = ["events >= 1000", "drops == 0", "kernel_events > 0"]
)");
  INFO((r ? "" : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->test.ready == "* Live capture in progress...");
  CHECK(r->test.pty);
  CHECK(r->test.stop_after_s == 20);
  auto own = parse("command = \"x\"\nformat = \"scap-open\"\nready = \"go\"\npty = false\n");
  REQUIRE(own.ok());
  CHECK(own->test.ready == "go");
  CHECK_FALSE(own->test.pty);
}

TEST_CASE("errors name the file, the line and the key") {
  CHECK(error_of("command = [\"x\"]\nready = \"r\"\ntimout = 5\n") ==
        "specs/t.toml:3: timout: unknown key (expected one of: command, cost, description, driver, expect, files, "
        "format, generator, name, pty, ready, requires, stop, timeout)");
  CHECK(has(error_of("command = [\"x\"\n"), "specs/t.toml:1:16: "));  // TOML syntax, with line and column
  CHECK(error_of("ready = \"r\"\n") ==
        "specs/t.toml: command: missing: the program to run in the guest, e.g. [\"/kgrid/bin/my-probe\"]");
  CHECK(error_of("command = []\n") == "specs/t.toml:1: command: needs a program to run");
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[expect]\nmetrics = [\"events => 1\"]\n"),
            "specs/t.toml:4: expect.metrics[0]: expected \"<metric> <op> <number>\""));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[expect]\nstdout = [\"a(b\"]\n"),
            "expect.stdout[0]: bad regular expression /a(b/: "));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\nformat = \"json\"\n"), "format: expected \"kgrid\""));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\ntimeout = 0\n"), "timeout: must be between 1 and 3600"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[stop]\nsignal = \"SIGSEGV\"\n"), "stop.signal: expected SIGINT"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[requires]\nmin_kernel = 5.8\n"), "requires.min_kernel: expected a string"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[requires]\nconfig = [\"BPF\"]\n"),
            "requires.config: expected CONFIG_NAME or CONFIG_NAME=value, got 'BPF'"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[requires]\nmin_kernel = \"6.2\"\nmax_kernel = \"6.1\"\n"),
            "requires.max_kernel: is below min_kernel 6.2"));
  CHECK(has(error_of("command = \"x\"\nready = \"a\\nb\"\n"), "ready: may not contain a line break"));
  CHECK(has(error_of("name = \"a b\"\ncommand = \"x\"\nready = \"r\"\n"), "name: 'a b' is not a test name"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\nstop = 1\n"), "stop: expected a table ([stop])"));
}

TEST_CASE("rules that need the whole spec") {
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[expect]\ntruth = true\n"),
            "expect.truth: needs a generator"));
  CHECK(has(error_of("command = \"x\"\ngenerator = \"g\"\nformat = \"scap-open\"\n[expect]\ntruth = true\n"),
            "only format \"kgrid\" reports"));
  CHECK(has(error_of("command = \"x\"\nformat = \"scap-open\"\n[expect]\nmetrics = [\"lost == 0\"]\n"),
            "format \"scap-open\" reports no metric 'lost' (it has events, kernel_events, drops, drops_buffer)"));
  CHECK(has(error_of("command = \"x\"\nformat = \"none\"\n[expect]\nmetrics = [\"events > 0\"]\n"),
            "format \"none\" reports no metric 'events'"));
  CHECK(parse("command = \"x\"\nformat = \"none\"\n[stop]\nwhen = \"exit\"\n[expect]\nmetrics = [\"duration_ms < 5000\"]\n").ok());
  CHECK(has(error_of("command = \"x\"\n"), "the probe would be stopped as soon as it starts"));
  CHECK(has(error_of("command = \"x\"\ntimeout = 5\n[stop]\nafter = 5\n"), "stop.after: must be below the timeout (5s)"));
}

TEST_CASE("files: host paths must exist; guest paths may not be kgrid's or hidden by a mount") {
  TempDir dir;
  auto with_file = [&](const std::string& entry) {
    auto r = parse("command = \"x\"\nready = \"r\"\nfiles = [\"" + entry + "\"]\n", dir.path);
    return r ? std::string("ok") : r.error().message;
  };
  CHECK(with_file("bin/my-probe:/opt/p") == "ok");
  CHECK(with_file((dir.path / "bin/my-probe").string() + ":/opt/p") == "ok");
  CHECK(has(with_file("bin/nope:/opt/p"), "bin/nope: no such file"));
  CHECK(has(with_file("bin/my-probe"), "expected \"host/path:/guest/path\""));
  CHECK(has(with_file("bin/my-probe:/kgrid/bin/kgrid-probe"), "is one of kgrid's own files"));
  CHECK(has(with_file("bin/my-probe:/init"), "is one of kgrid's own files"));
  CHECK(has(with_file("bin/my-probe:/tmp/p"), "hidden by the /tmp mount"));
  CHECK(has(with_file("bin/my-probe:/opt/"), "must name a file"));
}

TEST_CASE("several specs: unique names, no two files at one guest path") {
  TempDir dir;
  auto a = parse("name = \"a\"\ncommand = \"x\"\nready = \"r\"\nfiles = [\"bin/my-probe:/opt/p\"]\n", dir.path);
  auto b = parse("name = \"b\"\ncommand = \"x\"\nready = \"r\"\nfiles = [\"bin/my-probe:/opt/p\"]\n", dir.path);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto set = combine_specs({*a, *b});
  REQUIRE(set.ok());
  CHECK(set->plan.tests.size() == 2);
  CHECK(set->files.size() == 1);  // the same file twice is one file

  auto dup = combine_specs({*a, *a});
  REQUIRE_FALSE(dup.ok());
  CHECK(has(dup.error().message, "two specs have the test name 'a'"));

  std::ofstream(dir.path / "other") << "x";
  auto c = parse("name = \"c\"\ncommand = \"x\"\nready = \"r\"\nfiles = [\"other:/opt/p\"]\n", dir.path);
  REQUIRE(c.ok());
  auto clash = combine_specs({*a, *c});
  REQUIRE_FALSE(clash.ok());
  CHECK(has(clash.error().message, "two specs put different files at /opt/p"));

  CHECK(has(load_specs({"/nonexistent/x.toml"}, {}).error().message, "cannot read spec file /nonexistent/x.toml"));
}

TEST_CASE("metric expectations") {
  auto m = parse_metric_expectation("events_per_s>=1e3");
  REQUIRE(m.ok());
  CHECK(m->metric == "events_per_s");
  CHECK(m->value == 1000);
  CHECK_FALSE(parse_metric_expectation("events").ok());
  CHECK_FALSE(parse_metric_expectation("events = 1").ok());
  CHECK_FALSE(parse_metric_expectation("events >= lots").ok());
  CHECK_FALSE(parse_metric_expectation(">= 1").ok());
}

TEST_CASE("CONFIG requirements are decided on the host when the kernel's config is known") {
  plan::Plan p;
  plan::Test t;
  t.name = "needs_kprobes";
  t.probe = {"x"};
  t.config = {"CONFIG_BPF", "CONFIG_KPROBES=y"};
  p.tests.push_back(t);
  plan::ConfigLookup config = [](std::string_view name) -> std::optional<std::string> {
    if (name == "CONFIG_BPF") return "y";
    return std::nullopt;
  };
  plan::Plan decided = plan_for_kernel(p, &config);
  CHECK(decided.tests[0].skip == "CONFIG_KPROBES is not set (needs y) (kernel config)");
  CHECK(decided.tests[0].config.empty());

  plan::ConfigLookup all = [](std::string_view) -> std::optional<std::string> { return "y"; };
  plan::Plan met = plan_for_kernel(p, &all);
  CHECK(met.tests[0].skip.empty());
  CHECK(met.tests[0].config.empty());

  plan::Plan unknown = plan_for_kernel(p, nullptr);  // left for the guest
  CHECK(unknown.tests[0].skip.empty());
  CHECK(unknown.tests[0].config.size() == 2);
}

TEST_CASE("[cost]: on by default, off or sized by the spec, refused where it cannot be measured") {
  auto spec = parse("command = \"x\"\nready = \"r\"\n");
  REQUIRE(spec.ok());
  CHECK(spec->test.cost);
  CHECK(spec->test.cost_ops == plan::kDefaultCostOps);
  CHECK(spec->test.cost_rounds == plan::kDefaultCostRounds);

  spec = parse("command = \"x\"\nready = \"r\"\n[cost]\nops = 2000\nrounds = 7\n");
  REQUIRE(spec.ok());
  CHECK(spec->test.cost_ops == 2000);
  CHECK(spec->test.cost_rounds == 7);
  plan::Plan p;
  p.tests.push_back(spec->test);
  CHECK(has(plan::format_plan(p), "\ncost 2000 7\n"));

  spec = parse("command = \"x\"\nready = \"r\"\n[cost]\nenabled = false\n");
  REQUIRE(spec.ok());
  CHECK_FALSE(spec->test.cost);

  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[cost]\nops = 0\n"), "cost.ops: must be between 1 and 100000"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[cost]\nrounds = 16\n"), "cost.rounds: must be between 1 and 15"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[cost]\nenabled = \"no\"\n"), "cost.enabled: expected true or false"));
  CHECK(has(error_of("command = \"x\"\nready = \"r\"\n[cost]\nrun = 1\n"), "cost.run: unknown key"));
  CHECK(has(error_of("command = \"x\"\n[stop]\nwhen = \"exit\"\n[cost]\nops = 5\n"),
            "cost: the cost is measured while the probe is attached: it needs a ready line"));
  CHECK(parse("command = \"x\"\n[stop]\nwhen = \"exit\"\n[cost]\nenabled = false\n").ok());
  // Its metrics can be expected, whatever the format.
  CHECK(parse("command = \"x\"\nformat = \"scap-open\"\n[expect]\nmetrics = [\"cost.overhead_pct < 200\"]\n").ok());
}
