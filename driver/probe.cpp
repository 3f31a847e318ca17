// Capacity probes: a short closed-loop load, no backup.
#include "driver/probe.h"

#include <filesystem>

#include "core/clock.h"
#include "core/files.h"
#include "driver/load.h"
#include "driver/templates.h"

namespace bb {

void to_json(nlohmann::json& j, const ProbeResult& p) {
  j = {{"mode", p.mode},           {"db_mb", p.db_mb},
       {"writers", p.writers},     {"readers", p.readers},
       {"seconds", p.seconds},     {"commits", p.commits},
       {"capacity_tx_s", p.capacity_tx_s}, {"utilisation", p.utilisation},
       {"writer_rate", p.writer_rate}};
}

ProbeResult probe_capacity(const Scenario& s, const std::string& mode, int64_t db_mb, int64_t writers,
                           const std::string& dir, uint64_t seed) {
  std::filesystem::create_directories(dir);
  const std::string db = dir + "/probe.sqlite";
  struct Cleanup {
    const std::string& db;
    ~Cleanup() { remove_db_files(db); }
  } cleanup{db};
  instantiate_database(db, s, mode, db_mb);
  LoadSpec spec{db, s.workload, int(writers), int(s.readers), 0.0, s.reader_rate, s.reader_shape,
                seed, s.busy_timeout_ms, s.busy_poll_ms, s.synchronous, s.wal_autocheckpoint, dir};
  Load load(spec);
  load.watch_until(load.t0() + s_to_ns(std::min(s.warmup_s, 0.5)), 0, "probe warm-up");
  const int64_t begin = now_ns();
  load.watch_until(begin + s_to_ns(s.probe_s), 0, "capacity probe");
  const int64_t end = now_ns();
  load.stop();
  ProbeResult p{mode, db_mb, writers, s.readers, ns_to_s(end - begin), 0, 0, s.utilisation_for(mode), 0};
  for (auto& x : load.writer_samples)
    if (x.end >= begin && x.end < end) ++p.commits;
  p.capacity_tx_s = p.seconds > 0 ? double(p.commits) / p.seconds : 0;
  p.writer_rate = p.utilisation * p.capacity_tx_s / double(writers);
  return p;
}

}  // namespace bb
