// `backup-bench run`: run a scenario (preset or file), flags overriding it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <optional>
#include <tuple>

#include "cli/cmd_run_check.h"
#include "cli/commands.h"
#include "core/errors.h"
#include "driver/run.h"
#include "driver/scenario.h"
#include "cli/cmd_run_shard.h"
#include "strategies/strategy.h"

namespace bb {
namespace {

struct RunFlags {
  std::string preset, scenario, modes, strategies, db_mb, writers, readers, rate, repeat, seed, shard, out,
      rates_from, database, workload_file, estimate_from;
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
  if (!f.database.empty()) set_option(s, "database", {f.database});
  if (!f.workload_file.empty()) set_option(s, "workload_file", {f.workload_file});
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
  opt.rates_from = f.rates_from;
  // --shard K/N, or auto: from the job engine's variables (cli/cmd_run_shard.h).
  const ShardChoice sh = resolve_shard(f.shard, process_env());
  opt.shard_k = sh.k;
  opt.shard_n = sh.n;
  opt.shard_engine = sh.engine;
  opt.shard_job = sh.job;
  // The user's database brings its own size.
  if (!s.database.empty() && !f.db_mb.empty())
    throw UsageError("--db-mb and --database: a database brings its own size; give one of them");
  if (f.check) {
    // What `run` checks before any work, and nothing else (docs/faults.md,
    // fuzzing), then what the run would cost.
    check_scenario(s);
    std::error_code ec;
    if (!f.estimate_from.empty() && !std::filesystem::is_regular_file(f.estimate_from + "/results.json", ec))
      throw UsageError(fmt::format("--estimate-from {}: no results.json there (give a run folder)", f.estimate_from));
    const std::string earlier = !f.estimate_from.empty() ? f.estimate_from
                                : !f.rates_from.empty() ? f.rates_from
                                : std::filesystem::exists("runs/latest/results.json", ec) ? "runs/latest" : "";
    return print_run_check(s, opt, earlier);
  }
  if (sh.engine != "none" && sh.engine != "flag")
    fmt::print(stderr, "shard {}/{} from {} ({})\n", sh.k, sh.n, sh.engine, sh.job.dump());
  return run_scenario(s, opt);
}

// The flags' help and defaults come from the option table; the defaults shown
// are the `default` preset's, which `run` uses without --preset/--scenario.
struct FlagHelp {
  std::string help, default_text;
};

FlagHelp flag_help(const std::string& key, const Scenario* preset) {
  FlagHelp h;
  for (auto& o : scenario_options())
    if (o.key == key) h = {o.help, o.default_text};
  if (!preset) return h;
  auto j = to_json(*preset);
  if (key == "strategies") {
    std::vector<std::string> labels, all;
    for (auto& v : preset->strategies) labels.push_back(v.label);
    for (auto& st : strategies()) all.push_back(st.name);
    h.default_text = labels == all ? "all" : fmt::format("{}", fmt::join(labels, ","));
  } else if (j.contains(key)) {
    auto& v = j[key];
    if (v.is_array()) {
      std::vector<std::string> parts;
      for (auto& x : v) parts.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      h.default_text = fmt::format("{}", fmt::join(parts, ","));
    } else {
      h.default_text = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  return h;
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand("run", "run a scenario: trials of every strategy under live load");
  auto* p = cmd->add_option("--preset", f->preset, "built-in scenario (backup-bench list presets)")
                ->type_name("NAME")
                ->default_str("default");
  cmd->add_option("--scenario", f->scenario, "scenario file (TOML; see scenarios/)")->type_name("FILE")->excludes(p);
  // Flag, option key, type shown.
  const std::tuple<const char*, std::string*, const char*, const char*> table_flags[] = {
      {"--modes", &f->modes, "modes", "MODE[,MODE...]"},
      {"--strategies", &f->strategies, "strategies", "NAME[,NAME...]|all"},
      {"--repeat", &f->repeat, "repeat", "INT"},
      {"--db-mb", &f->db_mb, "db_mb", "MB[,MB...]"},
      {"--writers", &f->writers, "writers", "INT[,INT...]"},
      {"--readers", &f->readers, "readers", "INT"},
      {"--rate", &f->rate, "rate", "TX/S|auto"},
      {"--seed", &f->seed, "seed", "INT"},
  };
  std::vector<std::pair<CLI::Option*, std::string>> typed;
  for (auto& [flag, target, key, type] : table_flags) {
    auto h = flag_help(key, nullptr);
    typed.push_back({cmd->add_option(flag, *target, h.help)->type_name(type)->default_str(h.default_text), key});
  }
  // The default preset is read only when `run` is on the command line (not in
  // every worker process this binary also is).
  cmd->preparse_callback([typed](size_t) {
    std::optional<Scenario> preset;
    try {
      preset = load_preset("default");
    } catch (const std::exception&) {
      return;  // no scenarios folder beside this binary: the table's own defaults
    }
    for (auto& [opt, key] : typed) opt->default_str(flag_help(key, &*preset).default_text);
  });
  cmd->add_option("--database", f->database,
                  "run every trial on a copy of your own SQLite database (never written); needs --workload-file")
      ->type_name("FILE");
  cmd->add_option("--workload-file", f->workload_file,
                  "your transactions, parameters and invariants (TOML; docs/your-database.md)")
      ->type_name("FILE");
  cmd->add_option("--shard", f->shard, "run every N-th cell starting at K (0 <= K < N); auto: K and N from the job "
                                       "engine (GitLab, Kubernetes Indexed Job, Slurm array, BB_SHARD); merge the "
                                       "shards with report or compare (docs/distributed.md)")
      ->type_name("K/N|auto[/N]")
      ->default_str("0/1");
  cmd->add_option("--set", f->sets, "any scenario option (backup-bench list options), repeatable")
      ->type_name("KEY=VALUE");
  cmd->add_flag("--keep-snapshots", f->keep, "keep each trial's database and snapshot");
  cmd->add_option("--rates-from", f->rates_from,
                  "with rate = auto: pace the writers at the rates that run's capacity probes chose (the same load "
                  "as a compare baseline)")
      ->type_name("RUN_DIR");
  cmd->add_flag("--check", f->check, "check the scenario and its flags, print the trial count and each shard's "
                                     "estimated time and disk, run nothing");
  cmd->add_option("--estimate-from", f->estimate_from,
                  "with --check: take the speeds of the estimate from this earlier run (default: --rates-from, "
                  "else runs/latest)")
      ->type_name("RUN_DIR");
  cmd->add_option("--out", f->out, "run folder (runs/latest links to the newest)")->type_name("DIR")->default_str("runs/<timestamp>");
  cmd->footer(
      "Defaults shown are the `default` preset's; --preset or --scenario brings its own, and these flags override "
      "either.\nEvery option with its default: backup-bench list options.");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
