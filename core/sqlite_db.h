// Thin RAII wrappers over the SQLite C API: a connection and a prepared statement.
// Errors become SqliteError carrying the primary result code, so callers can tell
// a retryable BUSY from a fatal error.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bb {

struct SqliteError : std::runtime_error {
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code(code) {}
  int code;  // extended result code
  int primary() const { return code & 0xff; }
  bool busy() const { return primary() == SQLITE_BUSY || primary() == SQLITE_LOCKED; }
};

class Stmt;

// sqlite3_interrupt() on every connection a Db holds open in this process (the
// driver's interrupt watcher calls it: core/interrupt.h).
void interrupt_all_connections();

class Db {
 public:
  Db() = default;
  // Opens (flags default: read-write, no create). Throws SqliteError.
  explicit Db(const std::string& path, int flags = SQLITE_OPEN_READWRITE, const char* vfs = nullptr);
  ~Db();
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  void exec(const std::string& sql);
  // Runs a query returning one integer (first column of first row); `fallback`
  // when there is no row or the value is NULL.
  int64_t query_int(const std::string& sql, int64_t fallback = 0);
  std::string query_text(const std::string& sql);
  void busy_timeout(int ms) { sqlite3_busy_timeout(db_, ms); }
  [[noreturn]] void fail(int rc, std::string_view what) const;
  void close();

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(Db& db, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v);
  // Steps once: true when a row is available, false when done. Throws on error.
  bool step();
  // Steps once and returns the first column of the row (0 when there is no row),
  // then resets: for single-value queries run many times.
  int64_t one_int();
  // Steps to completion, then resets.
  void run();
  void reset();
  int64_t col_int(int i) const { return sqlite3_column_int64(st_, i); }
  bool col_null(int i) const { return sqlite3_column_type(st_, i) == SQLITE_NULL; }
  std::string col_text(int i) const;
  sqlite3_stmt* get() const { return st_; }

 private:
  Db& db_;
  sqlite3_stmt* st_ = nullptr;
};

// A transaction the caller has just begun (BEGIN ... on `db`), held across other
// work: rolled back on destruction unless commit() ran, so an exception in the
// middle never leaves a lock behind.
class InTransaction {
 public:
  explicit InTransaction(Db& db) : db_(db) {}
  ~InTransaction();
  InTransaction(const InTransaction&) = delete;
  InTransaction& operator=(const InTransaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

// Registers `seeded_blob(n, key)` on `db`: n bytes that depend only on `seed`
// and `key`, so a population is byte-identical for the same seed (SQLite's
// randomblob() is not seeded by us).
void register_seeded_blob(Db& db, uint64_t seed);

// "wal", "delete", ... as SQLite reports it for a connection.
std::string journal_mode(Db& db);

}  // namespace bb
