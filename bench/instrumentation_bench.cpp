// What the harness's instrumentation costs a writer: recording one sample (two
// clock reads and an append), and a real ledger writer loop with and without it.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "harness/clock.h"
#include "harness/samples.h"
#include "harness/sqlite_db.h"
#include "workloads/workload.h"

namespace bb {
namespace {

void BM_RecordSample(benchmark::State& state) {
  SampleLog log(1 << 20);
  int64_t seq = 0;
  for (auto _ : state) {
    int64_t start = now_ns();
    log.record({++seq, start, start, now_ns(), 0, 1});
    if (log.samples().size() == (1 << 20) - 1) {
      state.PauseTiming();
      log = SampleLog(1 << 20);
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_RecordSample);

// A ledger writer in WAL mode with synchronous=OFF, so SQLite's own cost is as
// small as it gets and the instrumentation's share is as large as it can be.
void BM_LedgerWriter(benchmark::State& state) {
  const bool instrumented = state.range(0);
  std::string path = std::filesystem::temp_directory_path() / "bb-instr-bench.db";
  for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF");
  auto w = find_workload("ledger")->make();
  w->populate(db, {8 << 20, 1});
  auto tx = w->writer(db, 0);
  Rng rng(1);
  SampleLog log(1 << 22);
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
  for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}
BENCHMARK(BM_LedgerWriter)->Arg(0)->Arg(1)->Arg(0)->Arg(1)->MinTime(2.0);

}  // namespace
}  // namespace bb
