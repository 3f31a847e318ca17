// The values a workload file's [params] draw per transaction, and how each
// prepared statement binds them (:seq is the harness's: the transaction's
// sequence number).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/user_sql.h"
#include "workloads/workload.h"
#include "workloads/workload_file.h"

namespace bb {

class FileParams {
 public:
  // Reads every `pick` query's rows once (UsageError "FILE:LINE" when one does
  // not prepare, has not exactly one column, or returns no rows).
  FileParams(Db& db, const WorkloadFile& f);
  ~FileParams();
  FileParams(const FileParams&) = delete;
  FileParams& operator=(const FileParams&) = delete;

  static constexpr int kSeq = -1;
  // The parameter's index, kSeq for "seq", -2 when no [params] defines it.
  int index(const std::string& name) const;
  // Draws a fresh value of parameter i (one per transaction).
  void draw(int i, Rng& rng);
  // Binds parameter i's current value at position pos of st.
  void bind(sqlite3_stmt* st, int pos, int i) const;

 private:
  const WorkloadFile& f_;
  std::vector<std::vector<sqlite3_value*>> picks_;  // per param: the pick rows (empty for others)
  std::vector<int64_t> ints_;                       // kInt: value; kPick: row index
  std::vector<std::string> bytes_;                  // kText/kBlob: the value
};

// One statement's binding plan: (position, parameter index or FileParams::kSeq).
struct Binding {
  int pos;
  int param;
};

// The plan for `u`; UsageError "FILE:LINE: WHAT statement N uses :x, which no
// [params] defines" (positional ? parameters are refused the same way).
std::vector<Binding> binding_plan(const UserStmt& u, const FileParams& params, const UserSqlContext& ctx);

}  // namespace bb
