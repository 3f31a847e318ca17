// A user's workload as data: the TOML workload file (docs/your-database.md)
// parsed into its parts, each remembering the file line it came from so a bad
// input is reported as FILE:LINE. Nothing here touches a database; running it is
// file_workload.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bb {

// One [params.NAME] table: a value drawn per transaction, bound as :NAME.
struct ParamSpec {
  enum class Kind { kPick, kInt, kText, kBlob };
  std::string name;
  Kind kind = Kind::kInt;
  std::string pick_sql;  // kPick: one column; rows read once, one picked per use
  int64_t lo = 0, hi = 0;  // kInt: the value range; kText/kBlob: the length range (inclusive)
  int line = 0;
};

// A [[writer]] or [[reader]] kind (picked by weight) or an [[invariant]].
struct SqlSpec {
  std::string name;
  int64_t weight = 1;
  std::string sql;
  int line = 0;      // where the table starts
  int sql_line = 0;  // the line of the SQL text's first character
};

struct WorkloadFile {
  std::string path;  // as given
  std::string name;  // file name
  std::string hash;  // XXH3-64 of the file's bytes, hex: two runs with different text never compare silently
  int64_t bytes = 0;
  std::string populate;  // optional SQL building a database from nothing
  int populate_line = 0;
  std::vector<ParamSpec> params;
  std::vector<SqlSpec> writers, readers, invariants;

  // "FILE:LINE" for messages.
  std::string where(int line) const;
};

// Reads and checks the file's shape (UsageError "FILE:LINE: ..."): known keys
// only, at least one writer, positive weights, unique names, ranges lo <= hi.
// SQL is checked against a database later (FileWorkload::check_on).
WorkloadFile load_workload_file(const std::string& path);

// The name a scenario's `workload` holds for a workload file, and back.
inline constexpr const char* kFileWorkloadPrefix = "file:";
bool is_file_workload(const std::string& workload);
std::string workload_file_path(const std::string& workload);

}  // namespace bb
