// A trial's time series (trials/<cell>/series.json): every commit and query with
// its latencies, the file sizes over time, and the windows, on one clock (µs
// since the start barrier). Charts read it; the run's summary pools window
// latencies across repetitions from it, with the same membership rule as the
// trial's own figures (results/metrics.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/samples.h"
#include "results/metrics.h"

namespace bb {

struct SeriesWindows {
  Window baseline;
  std::vector<Window> impacts, snapshots;  // one per backup
};

// Writes the series atomically (temporary name, then rename).
void write_series(const std::string& path, int64_t t0, const std::vector<Sample>& writers,
                  const std::vector<Sample>& readers, const std::vector<SizeSample>& sizes, const SeriesWindows& w);

// Response latencies (ns) of the members of a trial's baseline and impact
// windows (every backup's), for writers and readers, read back from its series.
struct WindowLatencies {
  std::vector<int64_t> writers_baseline, writers_during, readers_baseline, readers_during;
};
// Empty when the file is missing or unreadable (`ok` false).
WindowLatencies read_window_latencies(const std::string& path, bool* ok = nullptr);

}  // namespace bb
