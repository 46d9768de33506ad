// A local record of runs in SQLite, to answer "when did this kernel (or this
// driver on it) start failing?" and "how did boot time and overhead move?".
// The database lives under the user's data directory unless --db says
// otherwise; adding the same results twice records them once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "results/reports.h"
#include "results/results.h"

struct sqlite3;

namespace kgrid::results {

// $KGRID_HISTORY_DB, else $XDG_DATA_HOME/kgrid/history.sqlite, else
// ~/.local/share/kgrid/history.sqlite.
std::filesystem::path default_history_path();

struct RecordedRun {
  int64_t id = 0;
  std::string started_at;
  std::string recorded_at;
  std::string out_dir;
  std::string accel;
  double wall_s = 0;
  int kernels = 0;
  int passed = 0;
};

// One test (or build) of a kernel in one recorded run.
struct RecordedTest {
  std::string kind;  // test or build
  std::string name, driver, compiler;
  Verdict verdict = Verdict::Pass;
  std::string reason;
  std::optional<double> events_per_s, drops, load_ms;
};

// One kernel in one recorded run.
struct RecordedKernel {
  RecordedRun run;
  std::string kernel_id;
  std::string version;
  Verdict verdict = Verdict::Pass;
  std::string reason;
  double boot_s = 0;
  std::vector<RecordedTest> tests;
};

class HistoryDb {
 public:
  // Opens (and with `create`, creates) the database; refuses a database
  // written by a newer kgrid.
  static Result<HistoryDb> open(const std::filesystem::path& path, bool create);
  HistoryDb(HistoryDb&&) noexcept;
  HistoryDb& operator=(HistoryDb&&) noexcept;
  ~HistoryDb();

  struct Added {
    int64_t run_id = 0;
    bool already_recorded = false;
  };
  Result<Added> add(const RunResults& run, const std::string& out_dir);

  Result<std::vector<RecordedRun>> runs();                         // oldest first
  Result<std::vector<std::string>> kernel_ids();                   // every kernel ever recorded
  Result<std::vector<RecordedKernel>> kernel(const std::string& id);  // oldest first
  // The last `limit` runs of each kernel, for matrix.html.
  Result<Trends> trends(const std::vector<std::string>& ids, size_t limit);

 private:
  explicit HistoryDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// `history show`: every recorded run, then each kernel's state.
std::string format_history_overview(const std::vector<RecordedRun>& runs,
                                    const std::vector<std::vector<RecordedKernel>>& kernels);
// `history show --kernel ID`: run by run, then since when each item fails and
// how boot time and events/s moved.
std::string format_kernel_history(const std::string& id, const std::vector<RecordedKernel>& history);

}  // namespace kgrid::results
