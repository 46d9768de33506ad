#include "testrunner/failure_reason.h"

#include <optional>
#include <vector>

#include "testrunner/text.h"

namespace kgrid::testrunner {
namespace {

constexpr size_t kLineMax = 200;
constexpr size_t kVerifierLines = 3;

bool contains(std::string_view s, std::string_view what) { return s.find(what) != s.npos; }
bool starts(std::string_view s, std::string_view what) { return s.substr(0, what.size()) == what; }
bool blank(std::string_view s) { return s.find_first_not_of(" \t") == s.npos; }

using Lines = std::vector<std::string_view>;

// Index of the line that names the failure, most specific first.
std::optional<size_t> find_libbpf_error(const Lines& lines) {
  auto first = [&](auto&& pred) -> std::optional<size_t> {
    for (size_t i = 0; i < lines.size(); ++i)
      if (pred(lines[i])) return i;
    return std::nullopt;
  };
  if (auto i = first([](std::string_view l) {
        return starts(l, "libbpf: ") && (contains(l, "program load failed") || contains(l, "load bpf program failed"));
      }))
    return i;
  if (auto i = first([](std::string_view l) { return starts(l, "libbpf: prog '") && contains(l, "fail"); }))
    return i;
  return first([](std::string_view l) {
    return starts(l, "libbpf: ") && (contains(l, "fail") || contains(l, "error") || contains(l, "rror:"));
  });
}

// The last non-empty lines of the verifier log printed after `from`.
Lines verifier_tail(const Lines& lines, size_t from) {
  size_t begin = lines.size();
  for (size_t i = from; i < lines.size(); ++i) {
    if (contains(lines[i], "BEGIN") && contains(lines[i], "LOG")) {
      begin = i + 1;
      break;
    }
  }
  if (begin == lines.size()) return {};
  size_t end = begin;
  while (end < lines.size() && !(contains(lines[end], "-- END") && contains(lines[end], "LOG"))) ++end;
  Lines tail;
  for (size_t i = end; i > begin && tail.size() < kVerifierLines; --i)
    if (!blank(lines[i - 1])) tail.insert(tail.begin(), lines[i - 1]);
  return tail;
}

std::string join(const Lines& lines, std::string_view sep) {
  std::string out;
  for (std::string_view l : lines) {
    if (!out.empty()) out += sep;
    out += clip(l, kLineMax);
  }
  return out;
}

std::optional<std::string> explain_libbpf(std::string_view text) {
  Lines lines = split_lines(text);
  auto at = find_libbpf_error(lines);
  if (!at) return std::nullopt;
  std::string reason = clip(lines[*at], kLineMax);
  // Older libbpf names the program on a separate line.
  if (!contains(lines[*at], "prog '")) {
    for (std::string_view l : lines) {
      if (starts(l, "libbpf: ") && (contains(l, "prog '") || contains(l, "program '"))) {
        reason += "; " + clip(l, kLineMax);
        break;
      }
    }
  }
  Lines tail = verifier_tail(lines, *at);
  if (!tail.empty()) reason += "; verifier log ends: " + join(tail, " | ");
  return reason;
}

}  // namespace

std::optional<std::string> explain_libbpf_failure(std::string_view err, std::string_view out) {
  if (auto r = explain_libbpf(err)) return r;
  return explain_libbpf(out);
}

std::string explain_probe_failure(std::string_view err, std::string_view out) {
  if (auto r = explain_libbpf_failure(err, out)) return *r;
  Lines tail = last_nonempty_lines(err, 3);
  if (tail.empty()) tail = last_nonempty_lines(out, 3);
  return join(tail, " | ");
}

}  // namespace kgrid::testrunner
