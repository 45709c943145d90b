#include "signald/core/store.hpp"

#include <algorithm>

namespace wzp::signald {

// One use of a prepared statement; binds are 1-based as in SQLite. Each
// query's statement is prepared once per Store and reset after each use:
// preparing it every time (SQLite parsing the SQL) was a sixth of a login's
// CPU time in the daemon-core fuzz targets. A statement already in use (a
// nested use of the same query) gets a fresh one of its own.
class Store::Statement {
 public:
  Statement(Store &store, const char *sql) : store_(store) {
    auto &cached = store.prepared_[sql];
    if (cached.stmt == nullptr &&
        sqlite3_prepare_v2(store.db_, sql, -1, &cached.stmt, nullptr) != SQLITE_OK) {
      note_error();
      return;
    }
    if (!cached.in_use) {
      cached.in_use = true;
      stmt_ = cached.stmt;
      in_use_ = &cached.in_use;
    } else if (sqlite3_prepare_v2(store.db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      note_error();
    }
  }
  ~Statement() {
    if (in_use_ == nullptr) {
      sqlite3_finalize(stmt_);
      return;
    }
    // Ends the statement's read or write, so no snapshot outlives the use.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  }
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;

  Statement &bind(int index, const std::string &text) {
    if (stmt_)
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement &bind(int index, uint64_t value) {
    if (stmt_) sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
    return *this;
  }
  Statement &bind_blob(int index, const std::vector<uint8_t> &bytes) {
    if (stmt_)
      sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                        SQLITE_TRANSIENT);
    return *this;
  }
  // True while a row is available.
  bool step() {
    if (!stmt_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) note_error();
    return false;
  }
  // Runs a statement that returns no rows; false on error.
  bool run() {
    if (!stmt_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      note_error();
      return false;
    }
    return true;
  }
  std::string text(int column) const {
    auto *p = reinterpret_cast<const char *>(sqlite3_column_text(stmt_, column));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : "";
  }
  uint64_t integer(int column) const {
    return static_cast<uint64_t>(sqlite3_column_int64(stmt_, column));
  }
  std::vector<uint8_t> blob(int column) const {
    auto *p = static_cast<const uint8_t *>(sqlite3_column_blob(stmt_, column));
    return p ? std::vector<uint8_t>(p, p + sqlite3_column_bytes(stmt_, column))
             : std::vector<uint8_t>{};
  }
  int changes() const { return sqlite3_changes(store_.db_); }
  int error_code() const { return sqlite3_extended_errcode(store_.db_); }

 private:
  void note_error() { store_.last_error_ = sqlite3_errmsg(store_.db_); }
  Store &store_;
  sqlite3_stmt *stmt_ = nullptr;
  bool *in_use_ = nullptr;  // the cached statement's flag, when it is the cached one
};

namespace {

constexpr const char *kSchema = R"sql(
CREATE TABLE IF NOT EXISTS aliases (
  alias TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  claimed_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen (
  hex TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  last_seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS missed_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  callee TEXT NOT NULL,
  caller TEXT NOT NULL,
  call_id TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS missed_calls_callee ON missed_calls(callee, id);
CREATE INDEX IF NOT EXISTS missed_calls_at ON missed_calls(at);
CREATE TABLE IF NOT EXISTS identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seed BLOB NOT NULL);
)sql";

std::string hex_digits(const std::string &fingerprint) {
  std::string hex;
  std::copy_if(fingerprint.begin(), fingerprint.end(), std::back_inserter(hex),
               [](char c) { return c != ':'; });
  return hex;
}

}  // namespace

std::unique_ptr<Store> Store::open(const std::filesystem::path &path, std::string &error) {
  sqlite3 *db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    error = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_busy_timeout(db, 2000);
  if (!store->exec("PRAGMA journal_mode=WAL") || !store->exec("PRAGMA synchronous=FULL") ||
      !store->exec(kSchema)) {
    error = store->last_error_;
    return nullptr;
  }
  return store;
}

Store::~Store() {
  for (auto &[sql, prepared] : prepared_) sqlite3_finalize(prepared.stmt);
  sqlite3_close(db_);
}

bool Store::exec(const char *sql) {
  char *message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    last_error_ = message ? message : "sqlite error";
    sqlite3_free(message);
    return false;
  }
  return true;
}

bool Store::begin() { return Statement(*this, "BEGIN IMMEDIATE").run(); }

bool Store::commit() { return Statement(*this, "COMMIT").run(); }

void Store::rollback() { Statement(*this, "ROLLBACK").run(); }

Store::ClaimResult Store::claim_alias(const std::string &alias, const std::string &fingerprint,
                                      uint64_t now_unix) {
  if (auto owner = alias_owner(alias)) {
    return *owner == fingerprint ? ClaimResult::kAlreadyYours : ClaimResult::kTaken;
  }
  if (alias_of(fingerprint)) return ClaimResult::kOwnerHasAnother;
  Statement insert(*this, "INSERT INTO aliases(alias, fingerprint, claimed_at) VALUES(?1, ?2, ?3)");
  insert.bind(1, alias).bind(2, fingerprint).bind(3, now_unix);
  if (insert.run()) return ClaimResult::kClaimed;
  // Lost a race with another writer of the same file: the constraint decides.
  return insert.error_code() == SQLITE_CONSTRAINT_PRIMARYKEY ? ClaimResult::kTaken
                                                             : ClaimResult::kFailed;
}

Store::ReleaseResult Store::release_alias(const std::string &alias,
                                          const std::string &fingerprint) {
  auto owner = alias_owner(alias);
  if (!owner) return ReleaseResult::kUnknown;
  if (*owner != fingerprint) return ReleaseResult::kNotOwner;
  Statement del(*this, "DELETE FROM aliases WHERE alias = ?1 AND fingerprint = ?2");
  del.bind(1, alias).bind(2, fingerprint);
  return del.run() ? ReleaseResult::kReleased : ReleaseResult::kFailed;
}

bool Store::keep_alias(const std::optional<std::string> &alias, const std::string &fingerprint,
                       uint64_t now_unix) {
  Statement del(*this, "DELETE FROM aliases WHERE fingerprint = ?1 OR alias = ?2");
  del.bind(1, fingerprint).bind(2, alias.value_or(""));
  if (!del.run()) return false;
  if (!alias) return true;
  Statement insert(*this, "INSERT INTO aliases(alias, fingerprint, claimed_at) VALUES(?1, ?2, ?3)");
  insert.bind(1, *alias).bind(2, fingerprint).bind(3, now_unix);
  return insert.run();
}

std::optional<std::string> Store::alias_owner(const std::string &alias) {
  Statement q(*this, "SELECT fingerprint FROM aliases WHERE alias = ?1");
  q.bind(1, alias);
  if (q.step()) return q.text(0);
  return std::nullopt;
}

std::optional<std::string> Store::alias_of(const std::string &fingerprint) {
  Statement q(*this, "SELECT alias FROM aliases WHERE fingerprint = ?1");
  q.bind(1, fingerprint);
  if (q.step()) return q.text(0);
  return std::nullopt;
}

void Store::note_seen(const std::string &fingerprint, uint64_t now_unix) {
  Statement upsert(*this,
                   "INSERT INTO seen(hex, fingerprint, last_seen) VALUES(?1, ?2, ?3) "
                   "ON CONFLICT(hex) DO UPDATE SET last_seen = excluded.last_seen");
  upsert.bind(1, hex_digits(fingerprint)).bind(2, fingerprint).bind(3, now_unix).run();
}

std::vector<std::string> Store::fingerprints_with_prefix(const std::string &hex_prefix,
                                                         size_t limit) {
  // A range scan on the primary key; the prefix is hex only, so no LIKE
  // escaping questions arise.
  Statement q(*this, "SELECT fingerprint FROM seen WHERE hex >= ?1 AND hex < ?2 LIMIT ?3");
  q.bind(1, hex_prefix).bind(2, hex_prefix + "g").bind(3, static_cast<uint64_t>(limit));
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

bool Store::add_missed_call(const std::string &callee, const signal::MissedCall &call) {
  Statement insert(*this,
                   "INSERT INTO missed_calls(callee, caller, call_id, at) "
                   "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM seen WHERE hex = ?5)");
  insert.bind(1, callee)
      .bind(2, call.caller)
      .bind(3, call.call_id)
      .bind(4, call.at_unix)
      .bind(5, hex_digits(callee))
      .run();
  if (insert.changes() == 0) return false;
  Statement trim(*this,
                 "DELETE FROM missed_calls WHERE callee = ?1 AND id NOT IN "
                 "(SELECT id FROM missed_calls WHERE callee = ?1 ORDER BY id DESC LIMIT ?2)");
  trim.bind(1, callee).bind(2, static_cast<uint64_t>(signal::kMaxMissedCalls)).run();
  // Callees who never come back: their calls go once too old.
  if (call.at_unix > kMissedCallLifetimeSeconds) {
    Statement expire(*this, "DELETE FROM missed_calls WHERE at < ?1");
    expire.bind(1, call.at_unix - kMissedCallLifetimeSeconds).run();
  }
  return true;
}

std::vector<signal::MissedCall> Store::take_missed_calls(const std::string &callee,
                                                         uint64_t now_unix) {
  std::vector<signal::MissedCall> calls;
  {
    Statement q(*this,
                "SELECT call_id, caller, at FROM missed_calls WHERE callee = ?1 AND at >= ?2 "
                "ORDER BY id");
    q.bind(1, callee).bind(
        2, now_unix > kMissedCallLifetimeSeconds ? now_unix - kMissedCallLifetimeSeconds : 0);
    while (q.step()) calls.push_back({q.text(0), q.text(1), q.integer(2)});
  }
  {
    Statement del(*this, "DELETE FROM missed_calls WHERE callee = ?1");
    del.bind(1, callee).run();
  }
  return calls;
}

std::optional<std::vector<uint8_t>> Store::identity_seed() {
  Statement q(*this, "SELECT seed FROM identity WHERE id = 1");
  if (q.step()) return q.blob(0);
  return std::nullopt;
}

bool Store::set_identity_seed(const std::vector<uint8_t> &seed) {
  Statement insert(*this, "INSERT OR REPLACE INTO identity(id, seed) VALUES(1, ?1)");
  insert.bind_blob(1, seed);
  return insert.run();
}

}  // namespace wzp::signald
