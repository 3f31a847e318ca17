// A workload file's SQL text prepared statement by statement, once per
// connection, under SQLite's own authorizer: a workload may not attach other
// files, change the file's format (VACUUM, PRAGMAs that write), or run its own
// transaction control (the harness wraps every transaction).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/sqlite_db.h"

namespace bb {

struct FinalizeStmt {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

struct UserStmt {
  StmtPtr st;
  int number = 0;  // 1-based within its SQL text
  int line = 0;    // file line of its first character
};

struct UserSqlContext {
  std::string where_file;  // the workload file's path, for "FILE:LINE"
  std::string what;        // "writer 'sale'", "invariant 'totals'", "populate"
  bool read_only = false;  // readers and invariants may only read
};

// Prepares every statement of `sql` (its first character on `first_line`).
// Throws UsageError "FILE:LINE: WHAT statement N: why" when one does not
// prepare, is refused, or writes where only reading is allowed. With `run_each`
// (populate: a statement may use a table the one before it created), each
// statement is run as soon as it is prepared and not kept.
using RunEach = std::function<void(UserStmt&)>;
std::vector<UserStmt> prepare_user_sql(Db& db, const std::string& sql, int first_line, const UserSqlContext& ctx,
                                       const RunEach& run_each = {});

// Steps `st` to completion and resets it; throws SqliteError (extended code)
// naming `what` on failure.
void run_to_end(Db& db, sqlite3_stmt* st, const std::string& what);

}  // namespace bb
