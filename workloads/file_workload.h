// A workload defined by a workload file (workload_file.h): the user's writer and
// reader transactions and invariants, run by the same worker loop (and timing)
// as the built-in workloads. The harness adds one table of its own to the
// database, kSeqTable, and every writer transaction records its seq there in the
// same transaction: so gaplessness and freshness (STALE) are judged on any
// schema exactly as for the ledger.
#pragma once
#include <memory>
#include <string>

#include "workloads/workload.h"
#include "workloads/workload_file.h"

namespace bb {

inline constexpr const char* kSeqTable = "backup_bench_seq";

// The harness's table, created when missing.
void add_seq_table(Db& db);

class FileWorkload : public Workload {
 public:
  explicit FileWorkload(WorkloadFile f) : f_(std::move(f)) {}
  const WorkloadFile& file() const { return f_; }

  void adopt(Db& db) override { add_seq_table(db); }
  std::unique_ptr<WriterTx> writer(Db& db, int worker) override;
  std::unique_ptr<ReaderTx> reader(Db& db, int worker, ReaderShape shape) override;
  // "seq_gapless", then every invariant's name.
  std::vector<std::string> checks() const override;
  InvariantReport check(Db& db) override;

  // Before any trial, on a database holding the user's data (and kSeqTable):
  // every statement prepares and is allowed, every parameter is defined, every
  // pick returns rows, every invariant already holds. UsageError naming FILE:LINE
  // and the statement; `db_name` names the database in the message.
  void check_on(Db& db, const std::string& db_name);

 protected:
  // Runs `populate` (in one transaction), then adds kSeqTable.
  void fill(Db& db, const PopulateParams& p) override;

 private:
  WorkloadFile f_;
};

}  // namespace bb
