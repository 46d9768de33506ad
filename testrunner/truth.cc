#include "testrunner/truth.h"

#include <charconv>

#include "testrunner/text.h"

namespace kgrid::testrunner {
namespace {

template <class T>
bool to_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

const std::string* find(const std::vector<std::pair<std::string, std::string>>& fields,
                        std::string_view key) {
  for (const auto& [k, v] : fields)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace

Result<Truth> parse_truth(std::string_view stdout_text) {
  constexpr std::string_view kPrefix = "kgrid-gen: ";
  Truth truth;
  bool have_pid = false, done = false;
  for (std::string_view line : split_lines(stdout_text)) {
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    std::string_view rest = line.substr(kPrefix.size());
    auto bad = [&] { return make_error("malformed generator line '" + clip(line, 120) + "'"); };
    if (rest == "done") {
      done = true;
      continue;
    }
    std::vector<std::pair<std::string, std::string>> fields;
    if (rest.rfind("pid=", 0) == 0) {
      if (!parse_fields(rest, fields) || !to_number(*find(fields, "pid"), truth.pid)) return bad();
      have_pid = true;
    } else if (rest.rfind("syscall ", 0) == 0) {
      if (!parse_fields(rest.substr(8), fields)) return bad();
      const std::string *nr = find(fields, "nr"), *name = find(fields, "name"), *n = find(fields, "n");
      SyscallTruth s;
      if (!nr || !n || !to_number(*nr, s.nr) || !to_number(*n, s.n)) return bad();
      s.name = name ? *name : "nr " + *nr;
      truth.syscalls.push_back(std::move(s));
    }
  }
  if (!have_pid) return make_error("the generator printed no 'kgrid-gen: pid=' line");
  if (!done) return make_error("the generator's ground truth is incomplete ('kgrid-gen: done' missing)");
  return truth;
}

}  // namespace kgrid::testrunner
