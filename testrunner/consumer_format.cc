#include "testrunner/consumer_format.h"

#include <charconv>
#include <cstdlib>

#include "testrunner/scap_open_format.h"
#include "testrunner/text.h"
#include "testrunner/truth.h"

namespace kgrid::testrunner {
namespace {

bool to_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

template <class T>
bool to_int(const std::string& s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

class KgridFormat : public ConsumerFormat {
 public:
  std::string_view name() const override { return "kgrid"; }
  std::string_view done_marker() const override { return "kgrid-probe: done"; }

  ProbeReport parse(std::string_view out, std::string_view) const override {
    constexpr std::string_view kPrefix = "kgrid-probe: ";
    ProbeReport report;
    report.has_counts = true;
    for (std::string_view line : split_lines(out)) {
      if (line.substr(0, kPrefix.size()) != kPrefix) continue;
      std::string_view rest = line.substr(kPrefix.size());
      std::vector<std::pair<std::string, std::string>> fields;
      auto problem = [&] { report.problems.push_back("malformed line '" + clip(line, 120) + "'"); };
      if (rest == "done") {
        report.done = true;
      } else if (rest.rfind("stat ", 0) == 0) {
        if (!parse_fields(rest.substr(5), fields)) {
          problem();
          continue;
        }
        for (const auto& [key, value] : fields) {
          double v = 0;
          if (to_double(value, v)) report.stats[key] = v;
          else problem();
        }
      } else if (rest.rfind("count ", 0) == 0) {
        long tgid = 0, nr = 0;
        uint64_t n = 0;
        bool ok = parse_fields(rest.substr(6), fields) && fields.size() == 3 &&
                  fields[0].first == "tgid" && to_int(fields[0].second, tgid) &&
                  fields[1].first == "nr" && to_int(fields[1].second, nr) &&
                  fields[2].first == "n" && to_int(fields[2].second, n);
        if (ok) report.counts[{tgid, nr}] += n;
        else problem();
      }
    }
    return report;
  }
};

// "none": no stats; the exit status and the output expectations decide.
class NoFormat : public ConsumerFormat {
 public:
  std::string_view name() const override { return "none"; }
  std::string_view done_marker() const override { return ""; }
  ProbeReport parse(std::string_view, std::string_view) const override {
    ProbeReport report;
    report.done = true;
    return report;
  }
};

}  // namespace

std::unique_ptr<ConsumerFormat> make_consumer_format(std::string_view name) {
  if (name == "kgrid") return std::make_unique<KgridFormat>();
  if (name == "scap-open") return make_scap_open_format();
  if (name == "none") return std::make_unique<NoFormat>();
  return nullptr;
}

}  // namespace kgrid::testrunner
