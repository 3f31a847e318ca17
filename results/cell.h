// A cell of the matrix: what one trial runs (mode, strategy variant, size,
// writers, filesystem, SQLite build, fault, repetition). The driver expands a
// scenario into cells (driver/scenario.h); every record of results.json names
// its cell, so the type lives with the records.
#pragma once
#include <cstdint>
#include <string>

#include "strategies/strategy.h"

namespace bb {

struct StrategyVariant {
  std::string name;   // registered strategy name
  std::string label;  // how results name it (defaults to name)
  Params params;      // as given; defaults are filled when the trial runs
};

// One cell of the matrix: what a trial runs.
struct Cell {
  int index = 0;
  std::string mode;
  StrategyVariant strategy;
  int64_t db_mb = 0;
  int64_t writers = 0;
  std::string filesystem = "host";
  std::string sqlite = "system";
  int repetition = 0;
  uint64_t seed = 0;  // derived from the scenario seed and the cell's identity
  std::string fault = "none";  // a registered fault kind, or "none"
};

}  // namespace bb
