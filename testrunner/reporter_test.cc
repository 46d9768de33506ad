#include "testrunner/reporter.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include "common/protocol.h"
#include "testrunner/text.h"

using namespace kgrid;
using namespace kgrid::testrunner;

TEST_CASE("records count seq up and are written twice; plain lines are not records") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  Reporter rep(fds[1], "0123456789abcdef", 1);
  rep.send("CAPS", {{"release", "6.1"}});
  rep.say("hello");
  rep.send("END", {{"tests", "0"}, {"status", "ok"}});
  CHECK(rep.next_seq() == 3);
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  std::vector<uint64_t> seqs;
  int plain = 0;
  for (auto line : split_lines(text)) {
    auto d = protocol::decode_line(line, "0123456789abcdef");
    if (d.status == protocol::DecodeStatus::Ok) seqs.push_back(d.record.seq);
    else if (line == "kgrid-testrunner: hello") ++plain;
  }
  CHECK(seqs == std::vector<uint64_t>{1, 1, 2, 2});
  CHECK(plain == 1);
}

TEST_CASE("TEST record fields") {
  plan::Test t;
  t.name = "modern_bpf";
  t.driver = "modern_bpf";
  Judgement j{"FAIL", "why", {{"events", 3}, {"events_per_s", 1.5}}, {}};
  Outcome o;
  o.duration_ms = 1234;
  o.load_ms = 56;
  Fields f = test_fields(t, j, o);
  CHECK(f.at("verdict") == "FAIL");
  CHECK(f.at("reason") == "why");
  CHECK(f.at("duration_ms") == "1234");
  CHECK(f.at("load_ms") == "56");
  CHECK(f.at("m.events") == "3");
  CHECK(f.at("m.events_per_s") == "1.5");
  o.load_ms = -1;
  CHECK(test_fields(t, j, o).at("load_ms") == "");
  CHECK(test_fields(t, j, o).count("warning") == 0);
  j.warnings = {"one", "two"};
  CHECK(test_fields(t, j, o).at("warning") == "one || two");
}

TEST_CASE("LOG tail: stderr first, no per-pid counts, bounded") {
  Outcome o;
  o.gen.started = true;
  for (int i = 0; i < 30; ++i) o.probe.err += "err " + std::to_string(i) + "\n";
  o.probe.out = "kgrid-probe: ready\nkgrid-probe: stat events=1\nkgrid-probe: count tgid=1 nr=2 n=3\n";
  o.gen.err = "gen complains\n";
  auto lines = log_tail(o);
  CHECK(lines.size() <= 10);
  REQUIRE(lines.size() >= 3);
  CHECK(lines.front().stream == "probe");
  CHECK(lines.back().stream == "gen");
  bool has_count = false, has_last_err = false;
  for (const auto& l : lines) {
    if (l.line.find("count") != std::string::npos) has_count = true;
    if (l.line == "err 29") has_last_err = true;
  }
  CHECK_FALSE(has_count);
  CHECK(has_last_err);

  Outcome quiet;
  quiet.probe.out = "a\nb\nc\nd\ne\n";
  CHECK(log_tail(quiet).size() == 5);  // unused stderr budget goes to stdout
}
