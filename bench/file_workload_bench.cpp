// What defining a transaction in a workload file costs against the same
// transaction written in C++ (two account updates and a transfer insert in one
// BEGIN IMMEDIATE ... COMMIT):
//   0 the built-in ledger writer;
//   2 hand-written C++ running exactly the SQL the file's writer runs, the
//     harness's seq record (an INSERT into backup_bench_seq) included;
//   1 the workload file: parameters drawn and bound by name, statements
//     dispatched from data.
// 1 vs 2 is the cost of the transaction being data; 2 vs 0 is the cost of the
// seq record that makes freshness work on any schema. WAL mode with
// synchronous=OFF, so SQLite's own cost is as small as it gets and the
// overhead's share as large as it can be; synchronous=NORMAL as a real load has it.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "core/files.h"
#include "core/sqlite_db.h"
#include "workloads/file_workload.h"
#include "workloads/workload.h"

namespace bb {
namespace {

namespace fs = std::filesystem;

// The ledger's transfer, as a user would write it.
std::string ledger_as_file(int64_t accounts) {
  return fmt::format(R"(
[params.src]
int = [1, {0}]
[params.dst]
int = [1, {0}]
[params.amount]
int = [1, 100]

[[writer]]
name = "transfer"
sql = """
UPDATE accounts SET balance = balance - :amount, payload = randomblob(200) WHERE id = :src;
UPDATE accounts SET balance = balance + :amount, payload = randomblob(200) WHERE id = :dst;
INSERT INTO transfers(seq, writer, src, dst, amount) VALUES (:seq, 0, :src, :dst, :amount);
"""
)",
                     accounts);
}

// The file's transaction, hand-written: the same statements, prepared once,
// bound by position.
class HandWritten : public WriterTx {
 public:
  HandWritten(Db& db, int64_t accounts)
      : db_(db),
        accounts_(accounts),
        begin_(db, "BEGIN IMMEDIATE"),
        next_seq_(db, "SELECT coalesce(max(seq), 0) + 1 FROM backup_bench_seq"),
        debit_(db, "UPDATE accounts SET balance = balance - ?1, payload = randomblob(200) WHERE id = ?2"),
        credit_(db, "UPDATE accounts SET balance = balance + ?1, payload = randomblob(200) WHERE id = ?2"),
        insert_(db, "INSERT INTO transfers(seq, writer, src, dst, amount) VALUES (?1, 0, ?2, ?3, ?4)"),
        record_(db, "INSERT INTO backup_bench_seq(seq, writer, kind) VALUES (?1, 0, 'transfer')"),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}
  int64_t run(Rng& rng) override {
    const int64_t src = int64_t(rng() % uint64_t(accounts_)) + 1, dst = int64_t(rng() % uint64_t(accounts_)) + 1;
    const int64_t amount = int64_t(rng() % 100) + 1;
    return in_transaction(db_, begin_, commit_, rollback_, [&] {
      const int64_t seq = next_seq_.one_int();
      debit_.bind(1, amount).bind(2, src).run();
      credit_.bind(1, amount).bind(2, dst).run();
      insert_.bind(1, seq).bind(2, src).bind(3, dst).bind(4, amount).run();
      record_.bind(1, seq).run();
      return seq;
    });
  }

 private:
  Db& db_;
  int64_t accounts_;
  Stmt begin_, next_seq_, debit_, credit_, insert_, record_, commit_, rollback_;
};

// range(0): 0 = built-in ledger writer, 1 = the same from a workload file,
// 2 = the file's SQL hand-written; range(1): 0 = synchronous OFF, 1 = NORMAL.
void BM_Writer(benchmark::State& state) {
  const int kind = int(state.range(0));
  const bool normal = state.range(1);
  const std::string dir = fs::temp_directory_path() / "bb-file-workload-bench";
  fs::create_directories(dir);
  const std::string path = dir + "/db.sqlite", toml = dir + "/ledger.toml";
  remove_db_files(path);
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec(fmt::format("PRAGMA journal_mode = WAL; PRAGMA synchronous = {}", normal ? "NORMAL" : "OFF"));
  auto ledger = find_workload("ledger")->make();
  ledger->populate(db, {8 << 20, 1});
  const int64_t accounts = db.query_int("SELECT accounts FROM ledger_meta");
  std::unique_ptr<Workload> file;
  std::unique_ptr<WriterTx> tx;
  if (kind == 0) tx = ledger->writer(db, 0);
  if (kind > 0) add_seq_table(db);
  if (kind == 1) {
    std::ofstream(toml) << ledger_as_file(accounts);
    file = std::make_unique<FileWorkload>(load_workload_file(toml));
    tx = file->writer(db, 0);
  }
  if (kind == 2) tx = std::make_unique<HandWritten>(db, accounts);
  Rng rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(tx->run(rng));
  static const char* kNames[] = {"built-in ledger", "workload file", "hand-written, same SQL"};
  state.SetLabel(fmt::format("{}, synchronous={}", kNames[kind], normal ? "NORMAL" : "OFF"));
  tx.reset();
  db.close();
  fs::remove_all(dir);
}
BENCHMARK(BM_Writer)
    ->Args({0, 0})->Args({2, 0})->Args({1, 0})->Args({0, 1})->Args({2, 1})->Args({1, 1})
    ->MinTime(1.0);

}  // namespace
}  // namespace bb
