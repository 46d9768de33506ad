// Line helpers for program output, and a bounded capture buffer that keeps
// the beginning and the end of a stream and watches for one exact line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kgrid::testrunner {

// Splits into lines without their "\n" or trailing "\r".
std::vector<std::string_view> split_lines(std::string_view text);

// The last `n` lines that are not blank, oldest first.
std::vector<std::string_view> last_nonempty_lines(std::string_view text, size_t n);

// Parses "key=value" words into `out` (value as text); false on a word
// without '=' or with an empty key.
bool parse_fields(std::string_view words, std::vector<std::pair<std::string, std::string>>& out);

// Cuts a line to at most `max` bytes, marking the cut with "...".
std::string clip(std::string_view line, size_t max);

class OutputBuffer {
 public:
  // Keeps the first `head_limit` bytes and about the last `tail_limit` bytes.
  OutputBuffer(size_t head_limit, size_t tail_limit)
      : head_limit_(head_limit), tail_limit_(tail_limit) {}

  // Sets the exact line (compared without "\r") that seen_line() reports.
  void watch_line(std::string line) { watched_ = std::move(line); }
  bool seen_line() const { return seen_; }

  void append(std::string_view data);
  // Everything kept; a "[... N bytes dropped ...]" line marks a gap.
  std::string text() const;
  size_t total_bytes() const { return total_; }

 private:
  void check_line(std::string_view line);

  size_t head_limit_, tail_limit_;
  std::string head_, tail_;
  size_t total_ = 0, dropped_ = 0;
  std::string watched_, partial_;
  bool seen_ = false;
};

}  // namespace kgrid::testrunner
