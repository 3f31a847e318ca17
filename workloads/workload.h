// A workload: schema and population, one writer transaction, one reader
// transaction, and the invariants every consistent snapshot satisfies. Timing is
// not the workload's business: the worker loop timestamps around run().
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/sqlite_db.h"

namespace bb {

using Rng = std::mt19937_64;

struct PopulateParams {
  int64_t db_bytes = 16 << 20;  // approximate size to reach
  uint64_t seed = 1;
};

// One writer transaction. run() returns the committed transaction's sequence
// number. On SQLITE_BUSY/LOCKED it rolls back and rethrows (the caller retries).
class WriterTx {
 public:
  virtual ~WriterTx() = default;
  // A negative return: the transaction was rolled back by the workload itself
  // (a file workload's constraint error, counted per kind): not a commit.
  virtual int64_t run(Rng& rng) = 0;
  // Per-kind counts, written as JSON to `path` when the worker ends (a file
  // workload's kinds); nothing for the built-in workloads.
  virtual void write_stats(const std::string& path) const { (void)path; }
};

// What a reader does: `lookup` reads a few rows by key and the newest records (a
// steady, cheap load); `scan` reads a whole table in one transaction (in rollback
// mode its SHARED lock holds writers off for the whole scan: a load that starves
// writers by itself, see docs/measuring-impact.md).
enum class ReaderShape { kLookup, kScan };
inline constexpr std::array<std::string_view, 2> kReaderShapeNames{"lookup", "scan"};

// One read transaction; throws InvariantBroken when it sees an impossible state
// (a harness bug, since readers only ever see committed snapshots).
class ReaderTx {
 public:
  virtual ~ReaderTx() = default;
  virtual void run(Rng& rng) = 0;
};

struct InvariantBroken : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The workload's verdict on a snapshot: named checks, the last committed seq it
// holds, and what exactly is wrong.
struct InvariantReport {
  std::vector<std::pair<std::string, bool>> checks;  // e.g. balance_sum, seq_gapless, replay
  int64_t last_seq = 0;
  std::string detail;  // empty when every check holds
  bool ok() const {
    for (auto& c : checks)
      if (!c.second) return false;
    return true;
  }
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Creates the schema and initial rows in an empty database (pragmas already
  // set). The same seed gives a byte-identical database: fill() takes payloads
  // from seeded_blob(n, key), never randomblob().
  void populate(Db& db, const PopulateParams& p) {
    register_seeded_blob(db, p.seed);
    fill(db, p);
  }
  // Readies a database that already holds the user's data (run --database):
  // adds only the workload's own tables. Only a workload that runs on any
  // schema (a workload file) can; the built-in ones throw.
  virtual void adopt(Db& db) { (void)db; throw std::logic_error("this workload needs its own schema"); }
  virtual std::unique_ptr<WriterTx> writer(Db& db, int worker) = 0;
  virtual std::unique_ptr<ReaderTx> reader(Db& db, int worker, ReaderShape shape) = 0;
  // The names of the checks check() reports, in order: the validator reports
  // these and no others.
  virtual std::vector<std::string> checks() const = 0;
  // Checks the invariants on a snapshot. Streams (constant memory in the number of
  // rows). Throws SqliteError when the snapshot cannot be read.
  virtual InvariantReport check(Db& db) = 0;

 protected:
  virtual void fill(Db& db, const PopulateParams& p) = 0;
};

// Runs one transaction: `begin` (BEGIN IMMEDIATE for writers, BEGIN for
// readers), `body`, `commit`, and returns what `body` returns. On any error it
// rolls back whatever is open and rethrows, so the worker loop can count a BUSY
// and retry (and a reader that saw a broken invariant leaves no lock behind).
template <typename Body>
auto in_transaction(Db& db, Stmt& begin, Stmt& commit, Stmt& rollback, Body&& body) {
  try {
    begin.run();
    auto result = body();
    commit.run();
    return result;
  } catch (...) {
    if (!sqlite3_get_autocommit(db.get())) rollback.run();
    throw;
  }
}

struct WorkloadInfo {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Workload>()> make;
  // A table only this workload's databases have, so `validate --workload auto`
  // recognises them; empty for variants that share another's schema (bulk).
  std::string schema_marker;
};

// The workload whose schema marker `db` has; null when none matches.
const WorkloadInfo* detect_workload(Db& db);
// "lookup" or "scan"; UsageError otherwise.
ReaderShape parse_reader_shape(const std::string& name);

// Registration: one line in each workload's file.
bool register_workload(WorkloadInfo info);
const std::vector<WorkloadInfo>& workloads();
const WorkloadInfo* find_workload(const std::string& name);
// A workload by name: a registered one, or "file:PATH" (a workload file,
// file_workload.h; its errors are UsageError). Null when no such name.
std::unique_ptr<Workload> make_workload(const std::string& name);

}  // namespace bb
