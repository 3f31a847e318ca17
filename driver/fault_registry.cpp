// The fault kinds' registry (driver/fault.h): every kind is a file in faults/.
#include <algorithm>

#include "driver/fault.h"

namespace bb {

static std::vector<FaultKind>& registry() {
  static std::vector<FaultKind> r;
  return r;
}

bool register_fault(FaultKind kind) {
  auto& r = registry();
  r.push_back(std::move(kind));
  // By name: the order of static initialisation across files is not defined.
  std::sort(r.begin(), r.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return true;
}

const std::vector<FaultKind>& fault_kinds() { return registry(); }

const FaultKind* find_fault(const std::string& name) {
  for (auto& k : registry())
    if (k.name == name) return &k;
  return nullptr;
}

std::vector<std::string> fault_names() {
  std::vector<std::string> out{"none"};
  for (auto& k : registry()) out.push_back(k.name);
  return out;
}

std::string aim_text(FaultAim aim) {
  switch (aim) {
    case FaultAim::kWriter: return "writer 0";
    case FaultAim::kReader: return "reader 0";
    case FaultAim::kBackup: return "the backup process";
    case FaultAim::kDestination: break;
  }
  return "the destination";
}

}  // namespace bb
