// RAII wrappers over the SQLite C API.
#include "core/sqlite_db.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>

#include "core/interrupt.h"

namespace bb {

namespace {
constexpr int kProgressOps = 10000;

// Every open connection, so an interrupt can reach a statement that runs as
// one long virtual-machine step (PRAGMA integrity_check in SQLite < 3.43 calls
// no progress handler, but honours sqlite3_interrupt).
std::mutex g_open_mu;
std::set<sqlite3*>& open_connections() {
  static std::set<sqlite3*> s;
  return s;
}
}  // namespace

void interrupt_all_connections() {
  std::lock_guard lock(g_open_mu);
  for (sqlite3* db : open_connections()) sqlite3_interrupt(db);
}

Db::Db(const std::string& path, int flags, const char* vfs) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(rc, fmt::format("cannot open {}: {}", path, msg));
  }
  sqlite3_extended_result_codes(db_, 1);
  // A long statement (populating, integrity_check, replay) ends with
  // SQLITE_INTERRUPT soon after SIGINT/SIGTERM reach the driver, instead of when
  // it is done. The check costs a load every kProgressOps virtual-machine steps.
  sqlite3_progress_handler(db_, kProgressOps, [](void*) { return g_interrupted ? 1 : 0; }, nullptr);
  std::lock_guard lock(g_open_mu);
  open_connections().insert(db_);
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
  if (!db_) return;
  {
    std::lock_guard lock(g_open_mu);
    open_connections().erase(db_);
  }
  sqlite3_close_v2(db_);
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

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void seeded_blob(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const int64_t n = sqlite3_value_int64(argv[0]);
  if (n < 0 || n > (1 << 30)) return sqlite3_result_error(ctx, "seeded_blob: bad size", -1);
  uint64_t state = *static_cast<uint64_t*>(sqlite3_user_data(ctx)) ^ (uint64_t(sqlite3_value_int64(argv[1])) *
                                                                        0x2545f4914f6cdd1dULL);
  std::string bytes(size_t(n), '\0');
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint64_t r = splitmix64(state);
    std::memcpy(bytes.data() + i, &r, std::min<size_t>(8, bytes.size() - i));
  }
  sqlite3_result_blob64(ctx, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

}  // namespace

void register_seeded_blob(Db& db, uint64_t seed) {
  auto* s = new uint64_t(seed);
  int rc = sqlite3_create_function_v2(db.get(), "seeded_blob", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, s,
                                      seeded_blob, nullptr, nullptr, [](void* p) { delete static_cast<uint64_t*>(p); });
  if (rc != SQLITE_OK) db.fail(rc, "register seeded_blob");
}

}  // namespace bb
