// Capacity probes: a short closed-loop load, no backup.
#include "driver/probe.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/clock.h"
#include "core/files.h"
#include "driver/load.h"
#include "core/sqlite_builds.h"
#include "databases/place.h"
#include "databases/templates.h"
#include "results/merge.h"
#include "core/errors.h"

namespace bb {

void to_json(nlohmann::json& j, const ProbeResult& p) {
  j = {{"mode", p.mode},           {"db_mb", p.db_mb},
       {"filesystem", p.filesystem},  {"sqlite", p.sqlite},
       {"writers", p.writers},     {"readers", p.readers},
       {"seconds", p.seconds},     {"commits", p.commits},
       {"capacity_tx_s", p.capacity_tx_s}, {"utilisation", p.utilisation},
       {"writer_rate", p.writer_rate},
       {"ended_early", p.ended_early.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.ended_early)}};
}

namespace {
constexpr int64_t kMinProbeCommits = 100;
}  // namespace

ProbeResult probe_capacity(const Scenario& s, const Cell& c, const std::string& dir) {
  const std::string& mode = c.mode;
  const int64_t db_mb = c.db_mb, writers = c.writers;
  const uint64_t seed = c.seed;
  std::filesystem::create_directories(dir);
  // On the cell's filesystem, with the cell's SQLite build: capacity depends on both.
  Place place = make_place(c.filesystem, dir, db_mb);
  if (!place.cannot.empty()) throw HarnessError("capacity probe: " + place.cannot);
  const std::string db = place.data_dir + "/probe.sqlite";
  struct Cleanup {
    const std::string& db;
    ~Cleanup() { remove_db_files(db); }
  } cleanup{db};
  instantiate_database(db, database_spec(s), mode, db_mb);
  LoadSpec spec{resolve_sqlite_build(c.sqlite).exe, db, s.workload, int(writers), int(s.readers), 0.0, s.reader_rate, s.reader_shape,
                seed, s.busy_timeout_ms, s.busy_poll_ms, s.synchronous, s.wal_autocheckpoint, dir};
  // A closed loop can outrun the checkpoints: some connection always holds the
  // WAL, so it is never restarted and grows by up to hundreds of MB a second
  // (measured on ext4 here). Warm-up and probe end once it holds half the room
  // the filesystem had, before it can fill a trial's loop image; the probe
  // measures over the time it ran.
  const int64_t room = free_bytes(place.data_dir), wal_budget = room > 0 ? room / 2 : 0;
  const std::string wal = with_suffix(db, "-wal");
  int64_t wal_at_end = 0;
  auto wal_full = [&] { return wal_budget > 0 && (wal_at_end = file_size_or_zero(wal)) > wal_budget; };
  Load load(spec);
  load.watch_until(load.t0() + s_to_ns(std::min(s.warmup_s, 0.5)), 0, "probe warm-up", nullptr, wal_full);
  const int64_t begin = now_ns();
  load.watch_until(begin + s_to_ns(s.probe_s), 0, "capacity probe", nullptr, wal_full);
  const int64_t end = now_ns();
  load.stop();
  ProbeResult p{mode, db_mb, writers, s.readers, c.filesystem, c.sqlite, ns_to_s(end - begin), 0, 0,
                s.utilisation_for(mode), 0, {}};
  if (wal_budget > 0 && wal_at_end > wal_budget)
    p.ended_early = fmt::format("after {:.2f} s: the WAL reached {} MB, half the free space of its filesystem",
                                p.seconds, wal_at_end >> 20);
  for (auto& x : load.writer_samples)
    if (x.end >= begin && x.end < end) ++p.commits;
  // A rate from a handful of commits is no measurement: withheld, and said why.
  if (!p.ended_early.empty() && p.commits < kMinProbeCommits)
    throw HarnessError(fmt::format("the capacity probe measured only {} commits: it ended {}; set a rate instead "
                                   "(--rate N)", p.commits, p.ended_early));
  p.capacity_tx_s = p.seconds > 0 ? double(p.commits) / p.seconds : 0;
  p.writer_rate = p.utilisation * p.capacity_tx_s / double(writers);
  return p;
}

std::string probe_key(const std::string& mode, int64_t db_mb, int64_t writers, const std::string& filesystem,
                      const std::string& sqlite) {
  std::string k = fmt::format("{}-{}MB-w{}", mode, db_mb, writers);
  if (filesystem != "host") k += "-" + filesystem;
  if (sqlite != "system") k += "-sqlite" + std::to_string(std::hash<std::string>{}(sqlite) % 100000);
  return k;
}

std::string probe_key(const Cell& c) { return probe_key(c.mode, c.db_mb, c.writers, c.filesystem, c.sqlite); }

// The per-writer rates another run's capacity probes chose, by probe key; every
// cell must find one (checked before any work).
std::map<std::string, double> rates_from(const std::string& dir, const std::vector<Cell>& cells,
                                        nlohmann::json& probes) {
  auto r = merge_runs({dir}, {.summary = false});
  std::map<std::string, double> out;
  for (auto p : r.value("probes", nlohmann::json::array())) {
    p["from"] = dir;  // the probe was that run's; this run reuses its rate
    probes.push_back(p);
    out[probe_key(p.value("mode", ""), p.value("db_mb", int64_t(0)), p.value("writers", int64_t(0)),
                  p.value("filesystem", "host"), p.value("sqlite", "system"))] = p.value("writer_rate", 0.0);
  }
  for (auto& c : cells)
    if (!out.count(probe_key(c)))
      throw UsageError(fmt::format("--rates-from {}: that run has no capacity probe for {} (it ran other cells, or a "
                                   "fixed rate)",
                                   dir, probe_key(c)));
  return out;
}

}  // namespace bb
