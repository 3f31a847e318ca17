// The capacity probe: how many transactions/s the writers complete when they go
// as fast as they can (closed loop), with the same readers and settings as the
// trials, per journal mode x size x writer count. With `rate = "auto"` the trials
// pace each writer at `utilisation` x capacity / writers, so the load is steady on
// any machine (docs/measuring-impact.md). Per journal mode x size x writer count
// x filesystem x SQLite build.
#pragma once
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "driver/scenario.h"

namespace bb {

struct ProbeResult {
  std::string mode;
  int64_t db_mb = 0, writers = 0, readers = 0;
  std::string filesystem, sqlite;
  double seconds = 0;
  int64_t commits = 0;
  double capacity_tx_s = 0;       // all writers together
  double utilisation = 0;
  double writer_rate = 0;         // per writer: utilisation x capacity / writers
  std::string ended_early;        // why it stopped before probe_s (empty: it ran its time)
};
void to_json(nlohmann::json& j, const ProbeResult& p);

// Runs one probe for cells like `c` (its mode, size, writers, filesystem and
// SQLite build) in `dir` (a fresh database, removed afterwards).
ProbeResult probe_capacity(const Scenario& s, const Cell& c, const std::string& dir);

// The key cells share a probe by: mode, size, writers, filesystem, SQLite build.
std::string probe_key(const std::string& mode, int64_t db_mb, int64_t writers, const std::string& filesystem,
                      const std::string& sqlite);
std::string probe_key(const Cell& c);

// The per-writer rates another run's capacity probes chose (`--rates-from`), by
// probe key; every cell must find one (UsageError, before any work). The probes
// borrowed are added to `probes`, each marked with where it came from.
std::map<std::string, double> rates_from(const std::string& dir, const std::vector<Cell>& cells,
                                        nlohmann::json& probes);

}  // namespace bb
