#include "testrunner/text.h"

#include <algorithm>

namespace kgrid::testrunner {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::vector<std::string_view> last_nonempty_lines(std::string_view text, size_t n) {
  std::vector<std::string_view> out;
  auto lines = split_lines(text);
  for (auto it = lines.rbegin(); it != lines.rend() && out.size() < n; ++it)
    if (it->find_first_not_of(" \t") != std::string_view::npos) out.push_back(*it);
  std::reverse(out.begin(), out.end());
  return out;
}

bool parse_fields(std::string_view words, std::vector<std::pair<std::string, std::string>>& out) {
  while (!words.empty()) {
    size_t sp = words.find(' ');
    std::string_view word = words.substr(0, sp);
    words = sp == std::string_view::npos ? std::string_view() : words.substr(sp + 1);
    if (word.empty()) continue;
    size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    out.emplace_back(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
  }
  return true;
}

std::string clip(std::string_view line, size_t max) {
  if (line.size() <= max) return std::string(line);
  if (max < 3) return std::string(line.substr(0, max));
  return std::string(line.substr(0, max - 3)) + "...";
}

void OutputBuffer::check_line(std::string_view line) {
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!watched_.empty() && line == watched_) seen_ = true;
}

void OutputBuffer::append(std::string_view data) {
  total_ += data.size();
  // Watch for the line, independent of what is kept.
  std::string_view rest = data;
  for (size_t nl; (nl = rest.find('\n')) != std::string_view::npos; rest.remove_prefix(nl + 1)) {
    if (partial_.empty()) {
      check_line(rest.substr(0, nl));
    } else {
      partial_.append(rest.substr(0, nl));
      check_line(partial_);
      partial_.clear();
    }
  }
  if (partial_.size() < 64 * 1024) partial_.append(rest);

  size_t to_head = std::min(data.size(), head_limit_ - head_.size());
  head_.append(data.substr(0, to_head));
  data.remove_prefix(to_head);
  if (data.empty()) return;
  tail_.append(data);
  if (tail_.size() > 2 * tail_limit_) {
    size_t cut = tail_.size() - tail_limit_;
    dropped_ += cut;
    tail_.erase(0, cut);
  }
}

std::string OutputBuffer::text() const {
  if (dropped_ == 0) return head_ + tail_;
  // Restart the tail at a line boundary so no half line is shown.
  size_t nl = tail_.find('\n');
  std::string_view tail = tail_;
  size_t skipped = 0;
  if (nl != std::string::npos) {
    skipped = nl + 1;
    tail.remove_prefix(skipped);
  }
  std::string out = head_;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += "[... " + std::to_string(dropped_ + skipped) + " bytes dropped ...]\n";
  out += tail;
  return out;
}

}  // namespace kgrid::testrunner
