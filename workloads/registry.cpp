// The workload registry, filled by each workload file's registration line.
#include <fmt/format.h>

#include <algorithm>

#include "core/errors.h"
#include "workloads/file_workload.h"
#include "workloads/workload.h"

namespace bb {

static std::vector<WorkloadInfo>& registry() {
  static std::vector<WorkloadInfo> r;
  return r;
}

bool register_workload(WorkloadInfo info) {
  auto& r = registry();
  r.push_back(std::move(info));
  std::sort(r.begin(), r.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return true;
}

const std::vector<WorkloadInfo>& workloads() { return registry(); }

const WorkloadInfo* find_workload(const std::string& name) {
  for (auto& w : registry())
    if (w.name == name) return &w;
  return nullptr;
}

std::unique_ptr<Workload> make_workload(const std::string& name) {
  if (is_file_workload(name)) return std::make_unique<FileWorkload>(load_workload_file(workload_file_path(name)));
  const WorkloadInfo* info = find_workload(name);
  return info ? info->make() : nullptr;
}

const WorkloadInfo* detect_workload(Db& db) {
  Stmt st(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  for (auto& w : registry()) {
    if (w.schema_marker.empty()) continue;
    sqlite3_bind_text(st.get(), 1, w.schema_marker.c_str(), -1, SQLITE_TRANSIENT);
    bool found = st.step();
    st.reset();
    if (found) return &w;
  }
  return nullptr;
}

ReaderShape parse_reader_shape(const std::string& name) {
  if (name == kReaderShapeNames[0]) return ReaderShape::kLookup;
  if (name == kReaderShapeNames[1]) return ReaderShape::kScan;
  throw UsageError(fmt::format("unknown reader shape '{}' (expected lookup or scan)", name));
}

}  // namespace bb
