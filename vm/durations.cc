#include "vm/durations.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <sstream>
#include <system_error>

#include "results/results.h"
#include "util/files.h"

namespace kgrid::host {

namespace fs = std::filesystem;

std::string duration_key(const std::string& accel, const std::string& kernel_id) {
  return accel + "/" + kernel_id;
}

Durations read_durations(const fs::path& file) {
  Durations out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos || tab + 1 >= line.size()) continue;
    double s = 0;
    try {
      size_t used = 0;
      s = std::stod(line.substr(0, tab), &used);
      if (used != tab) continue;
    } catch (const std::exception&) {
      continue;
    }
    if (!std::isfinite(s) || s < 0) continue;
    out[line.substr(tab + 1)] = s;
  }
  return out;
}

Status update_durations(const fs::path& file, const Durations& fresh) {
  if (fresh.empty()) return ok_status();
  Durations all = read_durations(file);
  for (const auto& [key, s] : fresh)
    if (std::isfinite(s) && s >= 0 && key.find('\n') == std::string::npos) {
      auto it = all.find(key);
      // The mean with the old value: one noisy run does not reorder a grid.
      all[key] = it == all.end() ? s : (it->second + s) / 2;
    }
  std::string text;
  for (const auto& [key, s] : all) text += fmt::format("{:.2f}\t{}\n", s, key);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  return write_file_atomic(file, text);
}

std::vector<size_t> longest_first(const std::vector<std::string>& keys, const Durations& log) {
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto seconds = [&](size_t i) {
    auto it = log.find(keys[i]);
    return it == log.end() ? -1.0 : it->second;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return seconds(a) > seconds(b); });
  return order;
}

}  // namespace kgrid::host
