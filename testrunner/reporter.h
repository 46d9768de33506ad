// Everything the testrunner tells the host and the people reading the
// console: protocol records (each written twice, seq counting up) and short
// plain progress lines. Also the pure builders of the TEST and LOG records.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/plan.h"
#include "testrunner/judge.h"
#include "testrunner/outcome.h"

namespace kgrid::testrunner {

using Fields = std::map<std::string, std::string>;

class Reporter {
 public:
  Reporter(int fd, std::string nonce, uint64_t first_seq)
      : fd_(fd), nonce_(std::move(nonce)), seq_(first_seq) {}

  void send(const std::string& type, const Fields& fields);
  void say(std::string_view line);  // "kgrid-testrunner: <line>"
  uint64_t next_seq() const { return seq_; }

 private:
  int fd_;
  std::string nonce_;
  uint64_t seq_;
};

// The TEST record's fields; load_ms is empty when the probe never got ready;
// `warning` (warnings joined by " || ") only when there are any.
Fields test_fields(const plan::Test& test, const Judgement& j, const Outcome& o);

struct LogLine {
  std::string stream;  // probe, gen, runner
  std::string line;
};

// At most `max` lines worth showing after a non-PASS: the end of the probe's
// stderr, then its stdout (without per-pid counts), then the generator's.
std::vector<LogLine> log_tail(const Outcome& o, size_t max = 10);

}  // namespace kgrid::testrunner
