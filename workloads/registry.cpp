// The workload registry, filled by each workload file's registration line.
#include <algorithm>

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

}  // namespace bb
