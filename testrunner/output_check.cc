#include "testrunner/output_check.h"

#include <regex.h>

#include "testrunner/text.h"

namespace kgrid::testrunner {
namespace {

constexpr int kFlags = REG_EXTENDED | REG_NOSUB;

class Regex {
 public:
  explicit Regex(const std::string& pattern) : rc_(::regcomp(&re_, pattern.c_str(), kFlags)) {}
  ~Regex() {
    if (rc_ == 0) ::regfree(&re_);
  }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  std::optional<std::string> error() const {
    if (rc_ == 0) return std::nullopt;
    char buf[256];
    ::regerror(rc_, &re_, buf, sizeof buf);
    return std::string(buf);
  }
  bool matches(const std::string& line) const { return ::regexec(&re_, line.c_str(), 0, nullptr, 0) == 0; }

 private:
  regex_t re_{};
  int rc_;
};

std::string describe(const plan::OutputExpectation& e) { return e.stream + " /" + e.regex + "/"; }

}  // namespace

std::optional<std::string> regex_error(const std::string& regex) { return Regex(regex).error(); }

std::optional<std::string> check_output(const plan::OutputExpectation& e, std::string_view text) {
  Regex re(e.regex);
  if (auto err = re.error()) return "bad regular expression " + describe(e) + ": " + *err;
  std::string line;
  for (std::string_view l : split_lines(text)) {
    line.assign(l);
    if (!re.matches(line)) continue;
    if (e.present) return std::nullopt;
    return e.stream + " has a line matching /" + e.regex + "/: '" + clip(l, 200) + "'";
  }
  if (!e.present) return std::nullopt;
  auto last = last_nonempty_lines(text, 1);
  return "no " + e.stream + " line matches /" + e.regex + "/" +
         (last.empty() ? " (" + e.stream + " was empty)"
                       : " (last line: '" + clip(last[0], 160) + "')");
}

std::optional<std::string> check_outputs(const std::vector<plan::OutputExpectation>& expects,
                                         std::string_view out, std::string_view err) {
  for (const auto& e : expects)
    if (auto why = check_output(e, e.stream == "stderr" ? err : out)) return why;
  return std::nullopt;
}

}  // namespace kgrid::testrunner
