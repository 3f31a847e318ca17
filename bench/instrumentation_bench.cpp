// What the harness's instrumentation costs a writer: recording one sample (two
// clock reads and an append to the streaming writer, which writes a chunk to
// its file every 4096 samples), and a real ledger writer loop with and without it.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "core/clock.h"
#include "core/files.h"
#include "core/samples.h"
#include "core/sqlite_db.h"
#include "workloads/workload.h"

namespace bb {
namespace {

std::string samples_path() { return std::filesystem::temp_directory_path() / "bb-instr-bench.samples"; }

void BM_RecordSample(benchmark::State& state) {
  SampleWriter log(samples_path());
  int64_t seq = 0;
  for (auto _ : state) {
    int64_t start = now_ns();
    log.record({++seq, start, start, now_ns(), 0, 1});
  }
  log.close();
  std::filesystem::remove(samples_path());
}
BENCHMARK(BM_RecordSample);

// A ledger writer in WAL mode with synchronous=OFF, so SQLite's own cost is as
// small as it gets and the instrumentation's share is as large as it can be.
void BM_LedgerWriter(benchmark::State& state) {
  const bool instrumented = state.range(0);
  std::string path = std::filesystem::temp_directory_path() / "bb-instr-bench.db";
  remove_db_files(path);
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF");
  auto w = find_workload("ledger")->make();
  w->populate(db, {8 << 20, 1});
  auto tx = w->writer(db, 0);
  Rng rng(1);
  SampleWriter log(samples_path());
  for (auto _ : state) {
    if (instrumented) {
      int64_t start = now_ns();
      int64_t seq = tx->run(rng);
      log.record({seq, start, start, now_ns(), 0, 1});
    } else {
      benchmark::DoNotOptimize(tx->run(rng));
    }
  }
  state.SetLabel(instrumented ? "with recording" : "without recording");
  db.close();
  log.close();
  std::filesystem::remove(samples_path());
  remove_db_files(path);
}
BENCHMARK(BM_LedgerWriter)->Arg(0)->Arg(1)->Arg(0)->Arg(1)->MinTime(2.0);

}  // namespace
}  // namespace bb
