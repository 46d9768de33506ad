#include "results/history.h"

#include <sqlite3.h>

#include <cstdlib>
#include <ctime>
#include <map>

#include "results/grid_view.h"
#include "results/kernel_info.h"

namespace kgrid::results {
namespace {

constexpr int kDbVersion = 1;

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,      -- of the results, so a run is recorded once
  started_at TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  out_dir TEXT NOT NULL,
  kgrid_version TEXT NOT NULL,
  accel TEXT NOT NULL,
  wall_s REAL NOT NULL,
  interrupted INTEGER NOT NULL,
  kernels INTEGER NOT NULL,
  passed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kernels (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kernel_id TEXT NOT NULL,
  version TEXT NOT NULL, distro TEXT NOT NULL, series TEXT NOT NULL, flavor TEXT NOT NULL, arch TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  boot_s REAL NOT NULL,
  duration_s REAL NOT NULL,
  PRIMARY KEY (run_id, kernel_id)
);
CREATE TABLE IF NOT EXISTS tests (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kernel_id TEXT NOT NULL,
  seq INTEGER NOT NULL,             -- order within the kernel
  kind TEXT NOT NULL,               -- test or build
  name TEXT NOT NULL, driver TEXT NOT NULL, compiler TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  events_per_s REAL, drops REAL, load_ms REAL,
  PRIMARY KEY (run_id, kernel_id, seq)
);
CREATE INDEX IF NOT EXISTS kernels_by_id ON kernels(kernel_id);
)SQL";

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  std::string error() const { return sqlite3_errmsg(db_); }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& bind(int i, std::optional<double> v) {
    if (v) sqlite3_bind_double(stmt_, i, *v);
    else sqlite3_bind_null(stmt_, i);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  std::string text(int col) const {
    auto p = sqlite3_column_text(stmt_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<double> maybe(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return real(col);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

Status exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return ok_status();
  std::string text = message ? message : "unknown error";
  sqlite3_free(message);
  return make_error(text);
}

// FNV-1a, 64 bits: stable across builds, enough to recognise the same results.
std::string digest(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

Verdict verdict_or_infra(const std::string& text) {
  auto v = parse_verdict(text);
  return v ? *v : Verdict::InfraError;
}

RecordedRun run_from(const Stmt& s, int first) {
  RecordedRun r;
  r.id = s.integer(first);
  r.started_at = s.text(first + 1);
  r.recorded_at = s.text(first + 2);
  r.out_dir = s.text(first + 3);
  r.accel = s.text(first + 4);
  r.wall_s = s.real(first + 5);
  r.kernels = static_cast<int>(s.integer(first + 6));
  r.passed = static_cast<int>(s.integer(first + 7));
  return r;
}

constexpr const char* kRunColumns = "runs.id, runs.started_at, runs.recorded_at, runs.out_dir, runs.accel, runs.wall_s, runs.kernels, runs.passed";

}  // namespace

std::filesystem::path default_history_path() {
  if (const char* p = std::getenv("KGRID_HISTORY_DB"); p && *p) return p;
  if (const char* p = std::getenv("XDG_DATA_HOME"); p && *p) return std::filesystem::path(p) / "kgrid" / "history.sqlite";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".local" / "share" / "kgrid" / "history.sqlite";
}

Result<HistoryDb> HistoryDb::open(const std::filesystem::path& path, bool create) {
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec))
    return make_error(path.string() + ": no history database (record a run with `kgrid history add OUT`)");
  if (create && path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return make_error("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  sqlite3* raw = nullptr;
  int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  HistoryDb db(raw);
  if (rc != SQLITE_OK) return make_error(path.string() + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(raw, 5000);
  Stmt version(raw, "PRAGMA user_version");
  if (!version.ok() || version.step() != SQLITE_ROW)
    return make_error(path.string() + ": not a kgrid history database (" + version.error() + ")");
  int64_t v = version.integer(0);
  if (v > kDbVersion)
    return make_error(path.string() + ": history schema " + std::to_string(v) + " is newer than this kgrid understands (" +
                      std::to_string(kDbVersion) + "); upgrade kgrid");
  if (v == 0 && create) {
    if (auto st = exec(raw, kSchema); !st) return make_error(path.string() + ": " + st.error().message);
    if (auto st = exec(raw, "PRAGMA user_version = 1"); !st) return make_error(path.string() + ": " + st.error().message);
  } else if (v == 0) {
    return make_error(path.string() + ": not a kgrid history database (empty or foreign)");
  }
  if (auto st = exec(raw, "PRAGMA foreign_keys = ON"); !st) return make_error(st.error().message);
  return db;
}

HistoryDb::HistoryDb(HistoryDb&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
HistoryDb& HistoryDb::operator=(HistoryDb&& other) noexcept {
  std::swap(db_, other.db_);
  return *this;
}
HistoryDb::~HistoryDb() { sqlite3_close(db_); }

Result<HistoryDb::Added> HistoryDb::add(const RunResults& run, const std::string& out_dir) {
  std::string key = digest(to_json(run));
  {
    Stmt find(db_, "SELECT id FROM runs WHERE digest = ?");
    find.bind(1, key);
    if (find.step() == SQLITE_ROW) return Added{find.integer(0), true};
  }
  if (auto st = exec(db_, "BEGIN IMMEDIATE"); !st) return st.error();
  auto fail = [&](const std::string& what) {
    std::string message = what + ": " + sqlite3_errmsg(db_);
    (void)exec(db_, "ROLLBACK");
    return make_error(message);
  };
  int passed = 0;
  for (const auto& k : run.kernels) passed += k.verdict == Verdict::Pass;
  Stmt ins(db_, "INSERT INTO runs (digest, started_at, recorded_at, out_dir, kgrid_version, accel, wall_s, interrupted, "
                "kernels, passed) VALUES (?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, key).bind(2, run.started_at).bind(3, now_iso()).bind(4, out_dir).bind(5, run.kgrid_version);
  ins.bind(6, run.accel).bind(7, run.wall_s).bind(8, int64_t{run.interrupted});
  ins.bind(9, static_cast<int64_t>(run.kernels.size())).bind(10, int64_t{passed});
  if (ins.step() != SQLITE_DONE) return fail("recording the run");
  int64_t run_id = sqlite3_last_insert_rowid(db_);

  for (const auto& original : run.kernels) {
    KernelResult k = with_derived_fields(original);
    Stmt kins(db_, "INSERT OR REPLACE INTO kernels VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    kins.bind(1, run_id).bind(2, k.id).bind(3, k.version).bind(4, k.distro).bind(5, k.series).bind(6, k.flavor);
    kins.bind(7, k.arch).bind(8, std::string(verdict_name(k.verdict))).bind(9, k.reason).bind(10, k.boot_s);
    kins.bind(11, k.duration_s);
    if (kins.step() != SQLITE_DONE) return fail("recording kernel " + k.id);
    int64_t seq = 0;
    auto insert_item = [&](const char* kind, const std::string& name, const std::string& driver,
                           const std::string& compiler, Verdict v, const std::string& reason, const TestResult* t) {
      Stmt tins(db_, "INSERT INTO tests VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
      tins.bind(1, run_id).bind(2, k.id).bind(3, seq++).bind(4, std::string(kind)).bind(5, name).bind(6, driver);
      tins.bind(7, compiler).bind(8, std::string(verdict_name(v))).bind(9, reason);
      std::optional<double> load;
      if (t)
        if (auto it = t->metrics.find("load_ms"); it != t->metrics.end()) load = it->second;
      tins.bind(10, t ? events_per_s(*t) : std::nullopt).bind(11, t ? dropped(*t) : std::nullopt).bind(12, load);
      return tins.step() == SQLITE_DONE;
    };
    for (const auto& b : k.builds)
      if (!insert_item("build", "build", b.driver, b.compiler, b.verdict, b.reason, nullptr)) return fail("recording a build");
    for (const auto& t : k.tests)
      if (!insert_item("test", t.name, t.driver, t.compiler, t.verdict, t.reason, &t)) return fail("recording test " + t.name);
  }
  if (auto st = exec(db_, "COMMIT"); !st) return fail("committing");
  return Added{run_id, false};
}

Result<std::vector<RecordedRun>> HistoryDb::runs() {
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY started_at, id";
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return make_error(s.error());
  std::vector<RecordedRun> out;
  while (s.step() == SQLITE_ROW) out.push_back(run_from(s, 0));
  return out;
}

Result<std::vector<std::string>> HistoryDb::kernel_ids() {
  Stmt s(db_, "SELECT DISTINCT kernel_id FROM kernels ORDER BY kernel_id");
  if (!s.ok()) return make_error(s.error());
  std::vector<std::string> out;
  while (s.step() == SQLITE_ROW) out.push_back(s.text(0));
  return out;
}

Result<std::vector<RecordedKernel>> HistoryDb::kernel(const std::string& id) {
  std::string sql = std::string("SELECT ") + kRunColumns +
                    ", kernels.version, kernels.verdict, kernels.reason, kernels.boot_s FROM kernels JOIN runs ON "
                    "runs.id = kernels.run_id WHERE kernels.kernel_id = ? ORDER BY runs.started_at, runs.id";
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return make_error(s.error());
  s.bind(1, id);
  std::vector<RecordedKernel> out;
  while (s.step() == SQLITE_ROW) {
    RecordedKernel k;
    k.run = run_from(s, 0);
    k.kernel_id = id;
    k.version = s.text(8);
    k.verdict = verdict_or_infra(s.text(9));
    k.reason = s.text(10);
    k.boot_s = s.real(11);
    out.push_back(std::move(k));
  }
  for (auto& k : out) {
    Stmt t(db_, "SELECT kind, name, driver, compiler, verdict, reason, events_per_s, drops, load_ms FROM tests "
                "WHERE run_id = ? AND kernel_id = ? ORDER BY seq");
    t.bind(1, k.run.id).bind(2, id);
    while (t.step() == SQLITE_ROW) {
      RecordedTest r;
      r.kind = t.text(0);
      r.name = t.text(1);
      r.driver = t.text(2);
      r.compiler = t.text(3);
      r.verdict = verdict_or_infra(t.text(4));
      r.reason = t.text(5);
      r.events_per_s = t.maybe(6);
      r.drops = t.maybe(7);
      r.load_ms = t.maybe(8);
      k.tests.push_back(std::move(r));
    }
  }
  return out;
}

Result<Trends> HistoryDb::trends(const std::vector<std::string>& ids, size_t limit) {
  Trends out;
  for (const auto& id : ids) {
    auto history = kernel(id);
    if (!history) return history.error();
    if (history->empty()) continue;
    size_t start = history->size() > limit ? history->size() - limit : 0;
    for (size_t i = start; i < history->size(); ++i) {
      const auto& k = (*history)[i];
      TrendPoint p{k.run.started_at, k.verdict, k.boot_s, std::nullopt};
      for (const auto& t : k.tests)
        if (t.events_per_s && (!p.events_per_s || *t.events_per_s < *p.events_per_s)) p.events_per_s = t.events_per_s;
      out[id].push_back(p);
    }
  }
  return out;
}

}  // namespace kgrid::results
