// Reads a guest's serial console as it arrives: splits it into lines,
// decodes kgrid protocol records (checked, de-duplicated by seq), and spots
// kernel panics, oopses and BUGs. It only observes; verdict.h judges.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.h"

namespace kgrid::host {

struct KernelCrash {
  std::string kind;     // "panic", "oops", "bug"
  std::string message;  // the line that said so, without the printk timestamp
  std::vector<std::string> trace;  // following lines, a few
};

class ConsoleMonitor {
 public:
  explicit ConsoleMonitor(std::string nonce) : nonce_(std::move(nonce)) {}

  // Feeds raw console bytes. Returns true if a new valid record arrived.
  bool feed(std::string_view bytes);
  // Treats a partial last line as complete (call when the console closes).
  void flush();

  const std::vector<protocol::Record>& records() const { return records_; }
  const protocol::Record* find_first(std::string_view type) const;
  const protocol::Record* last_record() const { return records_.empty() ? nullptr : &records_.back(); }
  // The TEST_START record of a test with no TEST record yet, if any.
  const protocol::Record* running_test() const;

  const std::optional<KernelCrash>& crash() const { return crash_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  int corrupt_records() const { return corrupt_; }
  // The last few non-empty console lines, for reasons ("last console line: ...").
  const std::deque<std::string>& tail() const { return tail_; }
  size_t bytes_seen() const { return bytes_; }

 private:
  void on_line(std::string line);

  std::string nonce_;
  std::string partial_;
  std::vector<protocol::Record> records_;
  std::map<uint64_t, bool> seen_seq_;
  std::optional<KernelCrash> crash_;
  int trace_lines_wanted_ = 0;
  std::vector<std::string> warnings_;
  std::deque<std::string> tail_;
  int corrupt_ = 0;
  size_t bytes_ = 0;
};

// Strips a printk prefix ("[    1.234567] ", "<4>") and trailing CR.
std::string_view strip_printk_prefix(std::string_view line);

// Classifies one console line: "panic", "oops", "bug", "warning" or "".
std::string_view classify_kernel_line(std::string_view line);

}  // namespace kgrid::host
