// `backup-bench run`: run a scenario (preset or file), flags overriding it.
#include <fmt/format.h>

#include "cli/commands.h"
#include "core/errors.h"
#include "driver/run.h"
#include "driver/scenario.h"

namespace bb {
namespace {

struct RunFlags {
  std::string preset, scenario, modes, strategies, db_mb, writers, readers, rate, repeat, seed, shard, out;
  std::vector<std::string> sets;
  bool keep = false, check = false;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t n = s.find(sep, pos);
    out.push_back(s.substr(pos, n == std::string::npos ? std::string::npos : n - pos));
    if (n == std::string::npos) break;
    pos = n + 1;
  }
  return out;
}

int run(const RunFlags& f) {
  Scenario s = f.scenario.empty() ? load_preset(f.preset.empty() ? "default" : f.preset)
                                  : load_scenario_file(f.scenario);
  // Flags override the file, through the same option table.
  std::vector<std::pair<std::string, std::string>> overrides{
      {"modes", f.modes}, {"db_mb", f.db_mb}, {"writers", f.writers}, {"readers", f.readers},
      {"rate", f.rate},   {"repeat", f.repeat}, {"seed", f.seed}};
  for (auto& [k, v] : overrides)
    if (!v.empty()) set_option(s, k, split(v, ','));
  if (!f.strategies.empty()) set_strategies(s, f.strategies);
  for (auto& kv : f.sets) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) throw UsageError(fmt::format("--set {}: expected KEY=VALUE", kv));
    set_option(s, kv.substr(0, eq), split(kv.substr(eq + 1), ','));
  }
  RunOptions opt;
  opt.command_line = command_line();
  opt.out = f.out;
  opt.keep_snapshots = f.keep;
  if (!f.shard.empty()) {
    auto parts = split(f.shard, '/');
    try {
      size_t a = 0, b = 0;
      if (parts.size() != 2) throw 0;
      opt.shard_k = std::stoi(parts[0], &a);
      opt.shard_n = std::stoi(parts[1], &b);
      if (a != parts[0].size() || b != parts[1].size()) throw 0;
    } catch (...) {
      throw UsageError(fmt::format("--shard '{}': expected K/N, e.g. 0/3", f.shard));
    }
  }
  if (f.check) {
    // What `run` checks before any work, and nothing else (docs/faults.md, fuzzing).
    if (opt.shard_n < 1 || opt.shard_k < 0 || opt.shard_k >= opt.shard_n)
      throw UsageError(fmt::format("--shard {}/{}: expected K/N with 0 <= K < N", opt.shard_k, opt.shard_n));
    check_scenario(s);
    fmt::print("scenario {}: {} trial(s)\n", s.name, shard(expand(s), opt.shard_k, opt.shard_n).size());
    return 0;
  }
  return run_scenario(s, opt);
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand("run", "run a scenario: trials of every strategy under live load");
  auto* p = cmd->add_option("--preset", f->preset, "built-in scenario (list presets); default: default");
  cmd->add_option("--scenario", f->scenario, "scenario file (TOML)")->excludes(p);
  cmd->add_option("--modes", f->modes, "journal modes, comma-separated (wal,delete,truncate,persist)");
  cmd->add_option("--strategies", f->strategies, "strategies, comma-separated, or 'all'");
  cmd->add_option("--repeat", f->repeat, "repetitions per cell");
  cmd->add_option("--db-mb", f->db_mb, "database size(s) in MB, comma-separated");
  cmd->add_option("--writers", f->writers, "writer process count(s), comma-separated");
  cmd->add_option("--readers", f->readers, "reader processes");
  cmd->add_option("--rate", f->rate, "per-writer target transactions/s (0 = closed loop)");
  cmd->add_option("--seed", f->seed, "seed for every random choice");
  cmd->add_option("--shard", f->shard, "run every N-th cell starting at K (K/N, 0 <= K < N)");
  cmd->add_option("--set", f->sets, "any scenario option as KEY=VALUE (list options)");
  cmd->add_flag("--keep-snapshots", f->keep, "keep each trial's database and snapshot");
  cmd->add_flag("--check", f->check, "check the scenario and its flags, print the trial count, run nothing");
  cmd->add_option("--out", f->out, "run folder (default runs/<timestamp>, linked as runs/latest)");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
