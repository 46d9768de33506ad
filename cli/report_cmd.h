// `kgrid report`, `kgrid compare` and `kgrid history add|show`: the commands
// that read results.json files and write reports, comparisons and history.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "results/compare.h"

namespace CLI {
class App;
}

namespace kgrid::host {

struct ReportCmdOptions {
  std::filesystem::path out;
  std::string db;           // history database for trends; default: the user's, if it exists
  bool no_history = false;
};

struct CompareCmdOptions {
  std::filesystem::path base, now;  // OUT directories or results.json files
  std::string text, md, json;       // extra output files
  results::CompareOptions thresholds;
};

struct HistoryCmdOptions {
  std::string db;                   // default: results::default_history_path()
  std::filesystem::path out;        // history add
  std::string kernel;               // history show --kernel
};

// Each returns the exit code: 0 fine, 1 a regression (compare), 2 bad input.
int report_command(const ReportCmdOptions& o, std::ostream& out, std::ostream& err);
int compare_command(const CompareCmdOptions& o, std::ostream& out, std::ostream& err);
int history_add_command(const HistoryCmdOptions& o, std::ostream& out, std::ostream& err);
int history_show_command(const HistoryCmdOptions& o, std::ostream& out, std::ostream& err);

// Registers the subcommands on the CLI and runs whichever was parsed.
class ReportCommands {
 public:
  void add_to(CLI::App& app);
  std::optional<int> dispatch() const;  // the exit code, if one of these commands was given

 private:
  ReportCmdOptions report_;
  CompareCmdOptions compare_;
  HistoryCmdOptions history_;
  CLI::App* report_cmd_ = nullptr;
  CLI::App* compare_cmd_ = nullptr;
  CLI::App* history_add_ = nullptr;
  CLI::App* history_show_ = nullptr;
};

}  // namespace kgrid::host
