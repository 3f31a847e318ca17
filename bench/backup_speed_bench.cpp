// Backup speed on a quiescent database (default 256 MB, BB_BENCH_DB_MB to
// change), with the page cache warm, measured in one run against two
// references: a plain file copy (like `cp`, no fsync) and a durable copy (the
// same plus fsync, as every strategy's destination gets). For strategies the
// counter `copy_s` is the strategy's own duration (its impact window: from asking
// for the source until it released it, before the final fsync and rename).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "databases/populate.h"
#include "core/files.h"
#include "strategies/file_copy.h"
#include "strategies/runner.h"
#include "strategies/strategy.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

const std::string& source_db() {
  static std::string path = [] {
    int64_t mb = std::getenv("BB_BENCH_DB_MB") ? std::atoll(std::getenv("BB_BENCH_DB_MB")) : 256;
    fs::path dir = fs::temp_directory_path() / "bb-speed-bench";
    fs::create_directories(dir);
    std::string p = (dir / "source.db").string();
    DatabaseSpec s;
    create_database(p, s, "wal", mb, 1);
    return p;
  }();
  return path;
}

std::string dest() { return (fs::path(source_db()).parent_path() / "dest.db").string(); }

void bytes(benchmark::State& state) {
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(fs::file_size(source_db())));
}

void BM_PlainCopy(benchmark::State& state) {
  source_db();
  for (auto _ : state) copy_in_process({source_db(), dest()});
  bytes(state);
}

void BM_DurableCopy(benchmark::State& state) {
  source_db();
  for (auto _ : state) {
    copy_in_process({source_db(), dest()});
    fsync_path(dest());
  }
  bytes(state);
}

void run_strategy(benchmark::State& state, const std::string& name, Params params) {
  auto info = find_strategy(name);
  if (!info) return state.SkipWithError("not registered");
  if (auto why = info->skip_reason("wal", false); !why.empty()) return state.SkipWithError(why.c_str());
  BackupProgress progress;
  BackupRequest req;
  req.src = source_db();
  req.dest = dest();
  req.params = resolve_params(*info, params);
  req.mode = "wal";
  req.progress = &progress;
  double copy_s = 0;
  for (auto _ : state) {
    auto out = run_backup(*info, req);
    if (!out.completed()) state.SkipWithError(out.error.c_str());
    copy_s += out.duration_s;
  }
  state.counters["copy_s"] = benchmark::Counter(copy_s, benchmark::Counter::kAvgIterations);
  bytes(state);
}

void BM_Online(benchmark::State& state) { run_strategy(state, "online", {}); }
void BM_CliBackup(benchmark::State& state) { run_strategy(state, "cli-backup", {}); }
void BM_VacuumInto(benchmark::State& state) { run_strategy(state, "vacuum-into", {}); }

BENCHMARK(BM_PlainCopy)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_DurableCopy)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_Online)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_CliBackup)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_VacuumInto)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace bb
