// Test helpers: build recorded consoles with valid kgrid records.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/protocol.h"

namespace kgrid::host::testing {

inline constexpr const char* kNonce = "00c0ffee00c0ffee";

class FakeConsole {
 public:
  FakeConsole& text(const std::string& line) {
    out_ += line + "\r\n";
    return *this;
  }
  FakeConsole& record(const std::string& type, std::vector<std::pair<std::string, std::string>> fields,
                      int copies = 2) {
    protocol::Record r;
    r.nonce = kNonce;
    r.seq = seq_++;
    r.type = type;
    for (auto& [k, v] : fields) r.fields[k] = v;
    for (int i = 0; i < copies; ++i) out_ += protocol::encode(r);
    return *this;
  }
  FakeConsole& passing_run(const std::string& test = "modern_bpf") {
    record("BEGIN", {{"proto", "1"}, {"init_ms", "1800"}});
    record("TEST_START", {{"name", test}, {"driver", test}, {"timeout_s", "60"}});
    record("TEST", {{"name", test}, {"driver", test}, {"verdict", "PASS"}, {"m.events", "10042"}, {"m.drops", "0"}});
    return record("END", {{"tests", "1"}, {"status", "ok"}});
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
  uint64_t seq_ = 0;
};

}  // namespace kgrid::host::testing
