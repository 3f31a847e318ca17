// A workload file's transactions and invariants, prepared once per connection.
#include "workloads/file_workload.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "workloads/file_params.h"

namespace bb {
namespace {

// One [[writer]] or [[reader]] kind, prepared: its statements, how each binds
// the parameters, which parameters a transaction of it draws, and its counts.
struct Kind {
  std::string name;
  int64_t weight = 1;
  std::vector<UserStmt> stmts;
  std::vector<std::vector<Binding>> binds;
  std::vector<std::string> labels;  // "writer 'sale' statement 2", for runtime errors
  std::vector<int> draws;           // parameter indexes, each once
  int64_t commits = 0, constraint_errors = 0;
  std::string last_error;
};

std::vector<Kind> prepare_kinds(Db& db, const WorkloadFile& f, const std::vector<SqlSpec>& specs,
                                const char* section, FileParams& params) {
  const bool reader = std::string_view(section) == "reader";
  std::vector<Kind> out;
  for (auto& spec : specs) {
    Kind k;
    k.name = spec.name;
    k.weight = spec.weight;
    const UserSqlContext ctx{f.path, fmt::format("{} '{}'", section, spec.name), reader};
    k.stmts = prepare_user_sql(db, spec.sql, spec.sql_line, ctx);
    for (auto& u : k.stmts) {
      k.binds.push_back(binding_plan(u, params, ctx));
      k.labels.push_back(fmt::format("{} statement {} (line {})", ctx.what, u.number, u.line));
      for (auto& b : k.binds.back()) {
        if (b.param == FileParams::kSeq && reader)
          throw UsageError(fmt::format("{}: {} statement {} uses :seq, which only writers have", f.where(u.line),
                                       ctx.what, u.number));
        if (b.param >= 0 && std::find(k.draws.begin(), k.draws.end(), b.param) == k.draws.end())
          k.draws.push_back(b.param);
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}

Kind& pick_kind(std::vector<Kind>& kinds, int64_t total, Rng& rng) {
  int64_t r = int64_t(rng() % uint64_t(total));
  for (auto& k : kinds) {
    if (r < k.weight) return k;
    r -= k.weight;
  }
  return kinds.back();
}

int64_t total_weight(const std::vector<Kind>& kinds) {
  int64_t t = 0;
  for (auto& k : kinds) t += k.weight;
  return t;
}

// Binds the drawn values (and :seq) and runs every statement of `k`.
void run_kind(Db& db, Kind& k, FileParams& params, int64_t seq) {
  for (size_t s = 0; s < k.stmts.size(); ++s) {
    sqlite3_stmt* st = k.stmts[s].st.get();
    for (auto& b : k.binds[s]) {
      if (b.param == FileParams::kSeq) sqlite3_bind_int64(st, b.pos, seq);
      else params.bind(st, b.pos, b.param);
    }
    run_to_end(db, st, k.labels[s]);
  }
}

void write_kind_stats(const std::string& path, const char* role, const std::vector<Kind>& kinds) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& k : kinds)
    j[k.name] = {{"role", role}, {"commits", k.commits}, {"constraint_errors", k.constraint_errors},
                 {"last_error", k.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(k.last_error)}};
  std::ofstream(path) << j.dump();
}

class FileWriter : public WriterTx {
 public:
  FileWriter(Db& db, const WorkloadFile& f, int worker)
      : db_(db),
        worker_(worker),
        params_(db, f),
        kinds_(prepare_kinds(db, f, f.writers, "writer", params_)),
        total_(total_weight(kinds_)),
        begin_(db, "BEGIN IMMEDIATE"),
        next_seq_(db, fmt::format("SELECT coalesce(max(seq), 0) + 1 FROM {}", kSeqTable)),
        record_(db, fmt::format("INSERT INTO {}(seq, writer, kind) VALUES (?1, ?2, ?3)", kSeqTable)),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  int64_t run(Rng& rng) override {
    Kind& k = pick_kind(kinds_, total_, rng);
    for (int i : k.draws) params_.draw(i, rng);
    try {
      const int64_t seq = in_transaction(db_, begin_, commit_, rollback_, [&] {
        const int64_t seq = next_seq_.one_int();
        run_kind(db_, k, params_, seq);
        sqlite3_bind_text(record_.get(), 3, k.name.c_str(), int(k.name.size()), SQLITE_STATIC);
        record_.bind(1, seq).bind(2, worker_).run();
        return seq;
      });
      ++k.commits;
      return seq;
    } catch (const SqliteError& e) {
      // The application's own rules refusing a transaction is part of its load,
      // not a harness failure: counted per kind (rolled back by in_transaction).
      if (e.primary() != SQLITE_CONSTRAINT) throw;
      ++k.constraint_errors;
      k.last_error = e.what();
      return -1;
    }
  }

  void write_stats(const std::string& path) const override { write_kind_stats(path, "writer", kinds_); }

 private:
  Db& db_;
  int worker_;
  FileParams params_;
  std::vector<Kind> kinds_;
  int64_t total_;
  Stmt begin_, next_seq_, record_, commit_, rollback_;
};

// Runs the file's reader kinds; with none, a cheap read of the harness's table
// keeps the configured readers' locking behaviour.
class FileReader : public ReaderTx {
 public:
  FileReader(Db& db, const WorkloadFile& f)
      : db_(db),
        params_(db, f),
        kinds_(prepare_kinds(db, f, f.readers, "reader", params_)),
        total_(total_weight(kinds_)),
        begin_(db, "BEGIN"),
        fallback_(db, fmt::format("SELECT max(seq) FROM {}", kSeqTable)),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  void run(Rng& rng) override {
    in_transaction(db_, begin_, commit_, rollback_, [&] {
      if (kinds_.empty()) return fallback_.one_int();
      Kind& k = pick_kind(kinds_, total_, rng);
      for (int i : k.draws) params_.draw(i, rng);
      run_kind(db_, k, params_, 0);
      ++k.commits;
      return int64_t(0);
    });
  }

 private:
  Db& db_;
  FileParams params_;
  std::vector<Kind> kinds_;
  int64_t total_;
  Stmt begin_, fallback_, commit_, rollback_;
};

// An invariant prepared: one read-only query of one value and no parameters.
UserStmt prepare_invariant(Db& db, const WorkloadFile& f, const SqlSpec& inv) {
  const UserSqlContext ctx{f.path, fmt::format("invariant '{}'", inv.name), true};
  auto stmts = prepare_user_sql(db, inv.sql, inv.sql_line, ctx);
  if (stmts.size() != 1 || sqlite3_column_count(stmts[0].st.get()) != 1)
    throw UsageError(fmt::format("{}: {} must be one query returning one value (true on a consistent copy)",
                                 f.where(inv.sql_line), ctx.what));
  if (sqlite3_bind_parameter_count(stmts[0].st.get()) > 0)
    throw UsageError(fmt::format("{}: {} takes no parameters", f.where(inv.sql_line), ctx.what));
  return std::move(stmts[0]);
}

// True when the query's first value is a non-zero number.
bool holds(Db& db, sqlite3_stmt* st, const std::string& what) {
  const int rc = sqlite3_step(st);
  bool ok = false;
  if (rc == SQLITE_ROW) ok = sqlite3_column_type(st, 0) != SQLITE_NULL && sqlite3_column_double(st, 0) != 0;
  else if (rc != SQLITE_DONE) {
    const int ext = sqlite3_extended_errcode(db.get());
    std::string msg = sqlite3_errmsg(db.get());
    sqlite3_reset(st);
    throw SqliteError(ext, fmt::format("{}: {}", what, msg));
  }
  sqlite3_reset(st);
  return ok;
}

std::string one_line(std::string sql) {
  std::replace(sql.begin(), sql.end(), '\n', ' ');
  while (!sql.empty() && sql.back() == ' ') sql.pop_back();
  return sql;
}

}  // namespace

void add_seq_table(Db& db) {
  db.exec(fmt::format("CREATE TABLE IF NOT EXISTS {}(seq INTEGER PRIMARY KEY, writer INTEGER NOT NULL, "
                      "kind TEXT NOT NULL)",
                      kSeqTable));
}

std::unique_ptr<WriterTx> FileWorkload::writer(Db& db, int worker) {
  return std::make_unique<FileWriter>(db, f_, worker);
}

std::unique_ptr<ReaderTx> FileWorkload::reader(Db& db, int, ReaderShape) {
  return std::make_unique<FileReader>(db, f_);
}

std::vector<std::string> FileWorkload::checks() const {
  std::vector<std::string> c{"seq_gapless"};
  for (auto& inv : f_.invariants) c.push_back(inv.name);
  return c;
}

InvariantReport FileWorkload::check(Db& db) {
  InvariantReport r;
  std::vector<std::string> problems;
  // The harness's table, when present (a database of the user's that never ran
  // under the harness has none: nothing to check there).
  bool gapless = true;
  Stmt has(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  sqlite3_bind_text(has.get(), 1, kSeqTable, -1, SQLITE_STATIC);
  if (has.one_int() > 0) {
    Stmt seqs(db, fmt::format("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM {}", kSeqTable));
    seqs.step();
    const int64_t count = seqs.col_int(0), lo = seqs.col_int(1), hi = seqs.col_int(2);
    r.last_seq = hi;
    gapless = count == hi && (count == 0 || lo == 1);
    if (!gapless) problems.push_back(fmt::format("{} seq not gapless: {} rows, seq {}..{}", kSeqTable, count, lo, hi));
  }
  r.checks.emplace_back("seq_gapless", gapless);
  for (auto& inv : f_.invariants) {
    UserStmt u;
    try {
      u = prepare_invariant(db, f_, inv);
    } catch (const UsageError& e) {
      // The snapshot lacks what the invariant reads: readable, not this data.
      throw SqliteError(SQLITE_ERROR, e.what());
    }
    const bool ok = holds(db, u.st.get(), fmt::format("invariant '{}'", inv.name));
    if (!ok) problems.push_back(fmt::format("invariant '{}' is false: {}", inv.name, one_line(inv.sql)));
    r.checks.emplace_back(inv.name, ok);
  }
  r.detail = fmt::format("{}", fmt::join(problems, "; "));
  return r;
}

void FileWorkload::check_on(Db& db, const std::string& db_name) {
  FileParams params(db, f_);
  prepare_kinds(db, f_, f_.writers, "writer", params);
  prepare_kinds(db, f_, f_.readers, "reader", params);
  for (auto& inv : f_.invariants) {
    UserStmt u = prepare_invariant(db, f_, inv);
    bool ok = false;
    try {
      ok = holds(db, u.st.get(), fmt::format("invariant '{}'", inv.name));
    } catch (const SqliteError& e) {
      throw UsageError(fmt::format("{}: {}", f_.where(inv.sql_line), e.what()));
    }
    if (!ok)
      throw UsageError(fmt::format("{}: invariant '{}' is already false on {} itself: {}", f_.where(inv.sql_line),
                                   inv.name, db_name, one_line(inv.sql)));
  }
}

void FileWorkload::fill(Db& db, const PopulateParams&) {
  if (f_.populate.find_first_not_of(" \t\r\n") == std::string::npos)
    throw UsageError(fmt::format("{}: no populate SQL and no --database: nothing to build a database from", f_.path));
  db.exec("BEGIN");
  const UserSqlContext ctx{f_.path, "populate", false};
  try {
    prepare_user_sql(db, f_.populate, f_.populate_line, ctx, [&](UserStmt& u) {
      run_to_end(db, u.st.get(), fmt::format("{}: populate statement {}", f_.where(u.line), u.number));
    });
  } catch (const SqliteError& e) {
    throw UsageError(e.what());  // the user's SQL failed: bad input, named by line
  }
  db.exec("COMMIT");
  add_seq_table(db);
}

}  // namespace bb
