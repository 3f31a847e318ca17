// Backup speed on a quiescent database (default 256 MB, BB_BENCH_DB_MB to
// change): a plain file copy as the reference, the online strategy with
// pages=-1, and the sqlite3 shell's .backup, measured in the same run with the
// page cache warm.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "harness/clock.h"
#include "harness/populate.h"
#include "strategies/file_copy.h"
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
    Scenario s;
    create_database(p, s, "wal", mb, 1);
    return p;
  }();
  return path;
}

std::string dest() { return (fs::path(source_db()).parent_path() / "dest.db").string(); }

void BM_PlainCopy(benchmark::State& state) {
  for (auto _ : state) copy_in_process({source_db(), dest()});
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(fs::file_size(source_db())));
}

void run_strategy(benchmark::State& state, const std::string& name, Params params) {
  auto info = find_strategy(name);
  BackupProgress progress;
  BackupRequest req;
  req.src = source_db();
  req.dest = dest();
  req.params = resolve_params(*info, params);
  req.mode = "wal";
  req.progress = &progress;
  if (auto why = info->skip_reason("wal", false); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  for (auto _ : state) {
    auto out = info->run(req);
    if (out.status != "completed") state.SkipWithError(out.error.c_str());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(fs::file_size(source_db())));
}

void BM_Online(benchmark::State& state) { run_strategy(state, "online", {}); }
void BM_CliBackup(benchmark::State& state) {
  if (!find_strategy("cli-backup")) return state.SkipWithError("cli-backup not registered");
  run_strategy(state, "cli-backup", {});
}

BENCHMARK(BM_PlainCopy)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_Online)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_CliBackup)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace bb
