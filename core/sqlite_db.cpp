// RAII wrappers over the SQLite C API.
#include "core/sqlite_db.h"

#include <fmt/format.h>

namespace bb {

Db::Db(const std::string& path, int flags, const char* vfs) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(rc, fmt::format("cannot open {}: {}", path, msg));
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() { close(); }

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    close();
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

void Db::close() {
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

void Db::fail(int rc, std::string_view what) const {
  throw SqliteError(rc, fmt::format("{}: {}", what, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
}

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(sqlite3_extended_errcode(db_), fmt::format("{}: {}", sql.substr(0, 60), msg));
  }
}

int64_t Db::query_int(const std::string& sql, int64_t fallback) {
  Stmt s(*this, sql);
  if (!s.step() || s.col_null(0)) return fallback;
  return s.col_int(0);
}

std::string Db::query_text(const std::string& sql) {
  Stmt s(*this, sql);
  if (!s.step()) return {};
  return s.col_text(0);
}

Stmt::Stmt(Db& db, const std::string& sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, fmt::format("prepare '{}'", sql.substr(0, 60)));
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  int ext = sqlite3_extended_errcode(db_.get());
  sqlite3_reset(st_);
  db_.fail(ext, "step");
}

int64_t Stmt::one_int() {
  int64_t v = step() ? col_int(0) : 0;
  reset();
  return v;
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() { sqlite3_reset(st_); }

std::string Stmt::col_text(int i) const {
  auto p = sqlite3_column_text(st_, i);
  return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
}

std::string journal_mode(Db& db) { return db.query_text("PRAGMA journal_mode"); }

InTransaction::~InTransaction() {
  if (!done_ && db_.get() && !sqlite3_get_autocommit(db_.get()))
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void InTransaction::commit() {
  done_ = true;
  db_.exec("COMMIT");
}

}  // namespace bb
