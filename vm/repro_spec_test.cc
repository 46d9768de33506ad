#include "vm/repro_spec.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "vm/qemu.h"
#include "vm/session.h"
#include "results/results.h"

using namespace kgrid;
using namespace kgrid::host;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> sample_argv(bool quiet) {
  QemuOptions q;
  q.kernel = "/k/vmlinuz it's";
  q.initrd = "/o/kernels/x/initrd.img";
  q.nonce = "0123456789abcdef";
  q.quiet = quiet;
  q.kvm = true;
  return qemu_argv(q, *find_arch("x86_64"));
}

}  // namespace

TEST_CASE("qemu.json round-trips the argv, nonce, test count and deadlines") {
  ReproSpec s;
  s.id = "debian-bookworm-6.1.0-50-amd64";
  s.argv = sample_argv(true);
  s.nonce = "0123456789abcdef";
  s.planned_tests = 3;
  s.deadlines.boot_s = 300;
  auto back = parse_qemu_json(format_qemu_json(s));
  REQUIRE(back);
  CHECK(back->id == s.id);
  CHECK(back->argv == s.argv);
  CHECK(back->nonce == s.nonce);
  CHECK(back->planned_tests == 3);
  CHECK(back->deadlines.boot_s == 300);
  CHECK(back->deadlines.test_grace_s == s.deadlines.test_grace_s);

  CHECK_FALSE(parse_qemu_json("[]"));
  CHECK_FALSE(parse_qemu_json("{\"schema\": 2}"));
  CHECK_FALSE(parse_qemu_json("{\"schema\": 1, \"argv\": []}"));
  auto bad = parse_qemu_json("{\"schema\": 1, \"argv\": 3, \"planned_tests\": 1}");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("bad field") != std::string::npos);
}

TEST_CASE("shell_split undoes shell_quote") {
  auto argv = sample_argv(false);
  argv.push_back("");
  argv.push_back("a'b\"c");
  auto back = shell_split(shell_quote(argv) + "\n");
  REQUIRE(back);
  CHECK(*back == argv);
  CHECK(*shell_split("a\\ b 'c d'e") == std::vector<std::string>{"a b", "c de"});
  CHECK_FALSE(shell_split("'open"));
  CHECK_FALSE(shell_split("$(rm -rf /)"));
}

TEST_CASE("repro changes only the console verbosity, stop-on-fail, the shell and an unusable KVM") {
  auto argv = sample_argv(true);
  std::vector<std::string> notes;
  auto out = repro_argv(argv, ReproChanges{false, true}, notes);
  REQUIRE(out);
  std::string append = argv_value(*out, "-append");
  CHECK(append.find("quiet") == std::string::npos);
  CHECK(append.find("kgrid.stop_on_fail=1") != std::string::npos);
  CHECK(append.find("kgrid.shell") == std::string::npos);
  CHECK(append.find("kgrid.nonce=0123456789abcdef") != std::string::npos);
  CHECK(argv_value(*out, "-accel") == "kvm");
  CHECK(notes.size() == 1);
  // Everything but -append is as recorded.
  REQUIRE(out->size() == argv.size());
  for (size_t i = 0; i < argv.size(); ++i)
    if (i == 0 || argv[i - 1] != "-append") CHECK((*out)[i] == argv[i]);

  notes.clear();
  auto shell = repro_argv(*out, ReproChanges{true, false}, notes);
  REQUIRE(shell);
  std::string again = argv_value(*shell, "-append");
  CHECK(again.find("kgrid.shell=after") != std::string::npos);
  // Applied twice, the knobs are not repeated.
  CHECK(again.find("kgrid.stop_on_fail=1") == again.rfind("kgrid.stop_on_fail=1"));
  CHECK(argv_value(*shell, "-accel") == "tcg");
  CHECK(argv_value(*shell, "-cpu") == find_arch("x86_64")->cpu_tcg);
  CHECK(notes.size() == 1);

  CHECK_FALSE(repro_argv({"qemu-system-x86_64", "-kernel", "k"}, ReproChanges{}, notes));

  // The reason KVM is not usable goes into the note; --accel kvm turns a TCG run into KVM.
  notes.clear();
  ReproChanges no_kvm;
  no_kvm.kvm_usable = false;
  no_kvm.why_not_kvm = "there is no /dev/kvm";
  REQUIRE(repro_argv(argv, no_kvm, notes));
  CHECK(std::find(notes.begin(), notes.end(),
                  "the sweep used KVM, which is not usable here (there is no /dev/kvm): running under TCG") != notes.end());
  notes.clear();
  ReproChanges to_kvm;
  to_kvm.to_kvm = true;
  auto kvm = repro_argv(*shell, to_kvm, notes);
  REQUIRE(kvm);
  CHECK(argv_value(*kvm, "-accel") == "kvm");
  CHECK(argv_value(*kvm, "-cpu") == "host");
  CHECK(std::find(notes.begin(), notes.end(), "the sweep used TCG; running under KVM as asked") != notes.end());
}

TEST_CASE("a kernel directory is read from qemu.json, or from qemu.cmd and results.json") {
  auto tmp = TempDir::create("kgrid-repro-test-");
  REQUIRE(tmp);
  fs::path dir = tmp->path() / "kernels" / "k1";
  fs::create_directories(dir);
  auto missing = load_repro_spec(dir);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("no qemu.json or qemu.cmd") != std::string::npos);
  CHECK_FALSE(load_repro_spec(tmp->path() / "nope"));

  auto argv = sample_argv(false);
  std::ofstream(dir / "qemu.cmd") << shell_quote(argv) << "\n";
  auto no_results = load_repro_spec(dir);
  REQUIRE_FALSE(no_results);
  CHECK(no_results.error().message.find("test count") != std::string::npos);

  results::RunResults run;
  results::KernelResult k;
  k.id = "k1";
  k.tests.resize(2);
  run.kernels.push_back(k);
  REQUIRE(results::write_results_json(tmp->path(), run));
  auto from_cmd = load_repro_spec(dir);
  REQUIRE(from_cmd);
  CHECK(from_cmd->id == "k1");
  CHECK(from_cmd->argv == argv);
  CHECK(from_cmd->nonce == "0123456789abcdef");
  CHECK(from_cmd->planned_tests == 2);

  ReproSpec s;
  s.id = "k1";
  s.argv = argv;
  s.nonce = "0123456789abcdef";
  s.planned_tests = 5;
  std::ofstream(dir / "qemu.json") << format_qemu_json(s);
  auto from_json = load_repro_spec(dir / "");
  REQUIRE(from_json);
  CHECK(from_json->planned_tests == 5);
}
