// Small helpers shared by the strategy files (strategies/ only).
#pragma once
#include <string>
#include <string_view>

namespace bb {

// base + suffix, spelled out: GCC 12 warns falsely (-Wrestrict) on
// std::string + "literal".
inline std::string with_suffix(const std::string& base, std::string_view suffix) {
  std::string r;
  r.reserve(base.size() + suffix.size());
  r.append(base).append(suffix);
  return r;
}

// The rollback-journal family: every journal mode but WAL keeps the whole
// committed state in the main database file between transactions.
inline bool delete_family(const std::string& mode) { return mode != "wal"; }

}  // namespace bb
