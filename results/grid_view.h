// The grid as the reports see it: kernels grouped by distro and series, one
// column per (driver, compiler), one cell per kernel and column with its build
// and runtime verdicts, reasons and headline metrics. Every report (text,
// Markdown, JUnit, HTML, SVG) renders this one model, so they agree.
#pragma once

#include <compare>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "results/results.h"

namespace kgrid::results {

struct ColumnKey {
  std::string driver;
  std::string compiler;  // may be empty
  auto operator<=>(const ColumnKey&) const = default;
  std::string label() const;  // "modern_bpf" or "modern_bpf / clang-16"
};

struct Cell {
  std::optional<Verdict> build;    // set when the kernel has a build result for this column
  std::string build_reason;
  std::optional<Verdict> runtime;  // worst test verdict, or the kernel's if no test ran
  std::string reason;              // why runtime is not PASS (each failing test: "name: reason")
  std::vector<const TestResult*> tests;
  std::optional<double> events_per_s;  // the lowest over the cell's tests
  std::optional<double> drops;         // drops + lost, summed
  std::optional<double> overhead_pct;  // the driver's cost, the highest over the cell's tests

  // The verdict to colour the cell by: build failure first, else runtime.
  std::optional<Verdict> verdict() const;
  bool failing() const;  // anything but PASS or SKIP
};

struct Row {
  const KernelResult* kernel = nullptr;  // points into GridView::run
  std::string series;                    // "debian 6.1"
  std::vector<Cell> cells;               // one per GridView::columns
  std::optional<double> events_per_s;    // the lowest of the row's cells
  std::optional<double> drops;           // summed over the row's cells
  std::optional<double> overhead_pct;    // the highest of the row's cells
  bool failing() const;                  // the kernel or any cell is not PASS/SKIP
};

struct Group {
  std::string label;  // "debian 6.1"
  std::vector<Row> rows;
};

struct GridView {
  std::shared_ptr<const RunResults> run;  // a copy with distro/series/flavor filled in; rows point into it
  std::vector<ColumnKey> columns;
  std::vector<Group> groups;         // ordered by distro, then series (6.1 before 6.12)
  std::map<Verdict, int> totals;     // kernel verdicts
  size_t kernels = 0;
  bool has_builds = false;           // any kernel carries build results
};

// Builds the view from a copy of `run`.
GridView make_grid_view(const RunResults& run);

// events/s of a test: the events_per_s metric, else events / capture_ms.
std::optional<double> events_per_s(const TestResult& t);
// drops + lost of a test, if it reported either.
std::optional<double> dropped(const TestResult& t);
// What the driver costs the workload, in % (the cost.overhead_pct metric).
std::optional<double> overhead_pct(const TestResult& t);

// True if the kernel's reason merely repeats a failing test's ("name: why").
bool reason_from_tests(const KernelResult& k);

// "✅" for PASS, "❌" for FAIL, ... (for Markdown).
const char* verdict_emoji(Verdict v);

}  // namespace kgrid::results
