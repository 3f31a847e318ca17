// Preparing a workload file's SQL under SQLite's authorizer.
#include "workloads/user_sql.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/errors.h"

namespace bb {
namespace {

// PRAGMAs that change the file (or what later connections find) even when
// asked without a value; any PRAGMA given a value is refused too.
constexpr const char* kWritingPragmas[] = {"wal_checkpoint", "incremental_vacuum", "optimize", "shrink_memory"};

struct Refusal {
  std::string why;
};

int authorize(void* self, int action, const char* a, const char* b, const char*, const char*) {
  auto* r = static_cast<Refusal*>(self);
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      r->why = action == SQLITE_ATTACH ? "ATTACH reaches another file" : "DETACH is not allowed";
      return SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      r->why = "transaction control is the harness's (each transaction runs in BEGIN IMMEDIATE ... COMMIT)";
      return SQLITE_DENY;
    case SQLITE_PRAGMA: {
      const std::string name = a ? a : "";
      const bool writing = std::any_of(std::begin(kWritingPragmas), std::end(kWritingPragmas),
                                       [&](const char* p) { return name == p; });
      if (b || writing) {
        r->why = fmt::format("PRAGMA {}{} changes the database or its connection", name, b ? " = ..." : "");
        return SQLITE_DENY;
      }
      return SQLITE_OK;
    }
    default:
      return SQLITE_OK;
  }
}

// Where the statement's first character is: skips leading whitespace and comments.
const char* statement_start(const char* p, const char* end) {
  while (p < end) {
    if (std::isspace((unsigned char)*p)) ++p;
    else if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
      while (p < end && *p != '\n') ++p;
    } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
      const char* q = std::strstr(p + 2, "*/");
      p = q && q < end ? q + 2 : end;
    } else {
      break;
    }
  }
  return p;
}

// The first keyword of a statement, upper-cased.
std::string first_keyword(const char* p, const char* end) {
  p = statement_start(p, end);
  std::string k;
  while (p < end && std::isalpha((unsigned char)*p)) k += char(std::toupper((unsigned char)*p++));
  return k;
}

}  // namespace

std::vector<UserStmt> prepare_user_sql(Db& db, const std::string& sql, int first_line, const UserSqlContext& ctx,
                                       const RunEach& run_each) {
  std::vector<UserStmt> out;
  Refusal refusal;
  sqlite3_set_authorizer(db.get(), &authorize, &refusal);
  // The harness's own statements are prepared without the guard.
  struct Unset {
    sqlite3* db;
    ~Unset() { sqlite3_set_authorizer(db, nullptr, nullptr); }
  } unset{db.get()};
  const char* const base = sql.c_str();
  const char* const end = base + sql.size();
  const char* p = base;
  int ran = 0;
  while (p < end) {
    const char* start = statement_start(p, end);
    if (start >= end) break;
    const int line = first_line + int(std::count(base, start, '\n'));
    const int number = int(out.size()) + ran + 1;
    auto fail = [&](const std::string& why) -> UsageError {
      return UsageError(fmt::format("{}:{}: {} statement {}: {}", ctx.where_file, line, ctx.what, number, why));
    };
    if (first_keyword(start, end) == "VACUUM") throw fail("VACUUM rewrites the database file; a workload may not run it");
    sqlite3_stmt* st = nullptr;
    const char* tail = nullptr;
    refusal.why.clear();
    const int rc = sqlite3_prepare_v3(db.get(), start, int(end - start), SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (rc != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db.get());
      if (!refusal.why.empty()) throw fail(fmt::format("not allowed in a workload: {}", refusal.why));
      throw fail(fmt::format("does not prepare: {}", msg));
    }
    p = tail ? tail : end;
    if (!st) continue;  // only a comment or a lone semicolon
    UserStmt u{StmtPtr(st), number, line};
    if (ctx.read_only && !sqlite3_stmt_readonly(st)) throw fail("writes, but a reader or invariant may only read");
    if (run_each) {
      run_each(u);
      ++ran;
      continue;
    }
    out.push_back(std::move(u));
  }
  if (out.empty() && ran == 0)
    throw UsageError(fmt::format("{}:{}: {} has no statements", ctx.where_file, first_line, ctx.what));
  return out;
}

void run_to_end(Db& db, sqlite3_stmt* st, const std::string& what) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  if (rc == SQLITE_DONE) {
    sqlite3_reset(st);
    return;
  }
  const int ext = sqlite3_extended_errcode(db.get());
  std::string msg = sqlite3_errmsg(db.get());
  sqlite3_reset(st);
  throw SqliteError(ext, fmt::format("{}: {}", what, msg));
}

}  // namespace bb
