// The validator at scale: a ledger snapshot of BB_SCALE_MB megabytes (default
// 1024) holding BB_SCALE_TRANSFERS bulk transfers (default 1,000,000) plus 300
// real writer transactions, validated with integrity_check and with quick_check.
// Counters give each step's time (the verdict's timings_ms) and this process's
// peak RSS. The database is built once into BB_SCALE_DIR (default
// $TMPDIR/bb-validate-scale) and reused; bench/validate_scale.sh drives this and
// measures the real `backup-bench validate` under /usr/bin/time. Slow: not a test.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/sqlite_db.h"
#include "validation/validator.h"
#include "workloads/workload.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

struct ScaleDb {
  std::string path;
  int64_t last_seq = 0;
};

// Builds the snapshot: the ledger's own population, then bulk transfers in SQL
// (their effects applied to the balances in one UPDATE, so every invariant
// holds), then real writer transactions through the workload API.
void build(const std::string& path, int64_t mb, int64_t transfers) {
  for (auto s : {"", "-wal", "-shm", "-journal"}) {
    std::string p = path;
    p.append(s);
    fs::remove(p);
  }
  auto w = find_workload("ledger")->make();
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
  w->populate(db, {mb << 20, 1});
  int64_t n = db.query_int("SELECT accounts FROM ledger_meta");
  db.exec("BEGIN");
  db.exec(fmt::format(
      "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {1}), "
      "r AS MATERIALIZED (SELECT i, abs(random()) % {0} + 1 AS s, abs(random()) % ({0} - 1) + 1 AS d, "
      "                          abs(random()) % 100 + 1 AS amt FROM g) "
      "INSERT INTO transfers(seq, writer, src, dst, amount) "
      "SELECT i, 99, s, CASE WHEN d >= s THEN d + 1 ELSE d END, amt FROM r",
      n, transfers));
  db.exec("UPDATE accounts SET balance = accounts.balance + net.v FROM "
          "(SELECT id, sum(delta) AS v FROM (SELECT dst AS id, amount AS delta FROM transfers "
          "  UNION ALL SELECT src, -amount FROM transfers) GROUP BY id) AS net WHERE net.id = accounts.id");
  db.exec("COMMIT");
  auto tx = w->writer(db, 0);
  Rng rng(7);
  for (int i = 0; i < 300; ++i) tx->run(rng);
  db.exec("PRAGMA journal_mode=DELETE");
}

const ScaleDb& scale_db() {
  static ScaleDb db = [] {
    int64_t mb = env_int("BB_SCALE_MB", 1024);
    int64_t transfers = env_int("BB_SCALE_TRANSFERS", 1'000'000);
    const char* d = std::getenv("BB_SCALE_DIR");
    fs::path dir = d && *d ? fs::path(d) : fs::temp_directory_path() / "bb-validate-scale";
    fs::create_directories(dir);
    ScaleDb s;
    s.path = (dir / fmt::format("ledger-{}mb-{}t.db", mb, transfers)).string();
    std::string seq_file = fmt::format("{}.seq", s.path);  // not one of the snapshot's sidecar names
    if (!fs::exists(s.path) || !fs::exists(seq_file)) {
      fs::remove(seq_file);
      build(s.path, mb, transfers);
      Db db(s.path);
      std::ofstream(seq_file) << db.query_int("SELECT max(seq) FROM transfers") << "\n";
    }
    std::ifstream(seq_file) >> s.last_seq;
    return s;
  }();
  return db;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;
}

void BM_Validate(benchmark::State& state, bool quick) {
  const ScaleDb& s = scale_db();
  auto w = find_workload("ledger")->make();
  Verdict v;
  for (auto _ : state) v = validate_snapshot(s.path, w.get(), {s.last_seq, s.last_seq}, {quick});
  if (!v.ok()) state.SkipWithError(fmt::format("{}: {}", v.status, v.detail).c_str());
  for (auto& [k, ms] : v.timings_ms.items()) state.counters[fmt::format("{}_ms", k)] = ms.get<double>();
  state.counters["db_mb"] = double(fs::file_size(s.path)) / (1 << 20);
  state.counters["snapshot_seq"] = double(v.snapshot_seq);
  state.counters["peak_rss_mb"] = peak_rss_mb();
}

BENCHMARK_CAPTURE(BM_Validate, integrity_check, false)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Validate, quick_check, true)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace bb
