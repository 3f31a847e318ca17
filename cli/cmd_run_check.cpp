// `run --check`: the scenario checked, its trials counted, and the cost of each
// shard estimated before a long matrix is started.
#include "cli/cmd_run_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "databases/templates.h"
#include "cli/cmd_run_estimate.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string gb(int64_t bytes) {
  return bytes >= (int64_t(1) << 30) ? fmt::format("{:.1f} GB", double(bytes) / double(1 << 30))
                                     : fmt::format("{:.0f} MB", double(bytes) / double(1 << 20));
}

}  // namespace

int print_run_check(const Scenario& s, const RunOptions& opt, const std::string& earlier) {
  const auto cells = expand(s);
  fmt::print("scenario {}: {} trial(s)", s.name, shard(cells, opt.shard_k, opt.shard_n).size());
  if (opt.shard_n > 1)
    fmt::print(" in shard {}/{} ({} in all{})", opt.shard_k, opt.shard_n, cells.size(),
               opt.shard_engine == "flag" ? "" : ", shard from " + opt.shard_engine);
  fmt::print("\n");
  const Speeds sp = measure_speeds(s, earlier);
  EstimateInputs in;
  const DatabaseSpec spec = database_spec(s);
  in.cached = [&](const std::string& mode, int64_t mb) {
    std::error_code ec;
    return s.template_cache && fs::exists(template_path(spec, mode, mb), ec);
  };
  // Strategies that cannot run here (a mode, or the host's filesystem) cost no trial.
  // The run folder's filesystem: its nearest folder that exists already.
  std::error_code ec;
  fs::path where = fs::absolute(opt.out.empty() ? fs::path("runs") : fs::path(opt.out), ec);
  while (where.has_parent_path() && where != where.root_path() && !fs::is_directory(where, ec))
    where = where.parent_path();
  const std::string here = where.string();
  in.skip = [&](const Cell& c) {
    const StrategyInfo* info = find_strategy(c.strategy.name);
    if (!info) return std::string();
    if (auto why = info->skip_reason(c.mode, true); !why.empty()) return why;
    return c.filesystem == "host" ? info->fs_skip_reason(here, here) : std::string();
  };
  in.keep_snapshots = opt.keep_snapshots;
  fmt::print("estimate from {}:\n",
             sp.sources.empty() ? "default speeds (no cached template, no earlier run: --estimate-from RUN_DIR)"
                                : fmt::format("{}", fmt::join(sp.sources, "; ")));
  for (auto& e : estimate_shards(s, opt.shard_n, sp, in)) {
    fmt::print("  shard {}/{}{}: {} trial(s), about {} (templates {}, capacity probes {}, trials {}); disk: run "
               "folder {}, template cache {}\n",
               e.k, opt.shard_n, e.k == opt.shard_k && opt.shard_n > 1 ? " (this one)" : "", e.trials,
               duration_text(e.total_s()), duration_text(e.templates_s), duration_text(e.probes_s),
               duration_text(e.trials_s), gb(e.run_bytes), gb(e.cache_bytes));
  }
  return 0;
}

}  // namespace bb
