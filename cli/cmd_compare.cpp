// `backup-bench compare`: a run against a baseline run, as a CI gate (exit 1 on
// a regression).
#include <fmt/format.h>

#include <fstream>

#include "cli/commands.h"
#include "driver/compare.h"
#include "core/errors.h"

namespace bb {
namespace {

struct CompareFlags {
  std::string base, cur, json_out;
  double threshold = 10;
};

int run(const CompareFlags& f) {
  if (f.threshold < 0) throw UsageError(fmt::format("--threshold {} is negative", f.threshold));
  auto base = load_results(f.base);
  auto cur = load_results(f.cur);
  CompareOptions opts;
  opts.threshold_pct = f.threshold;
  auto c = compare_runs(base, cur, opts);
  c.base_path = f.base;
  c.cur_path = f.cur;
  fmt::print("{}", format_comparison(c));
  if (!f.json_out.empty()) {
    std::ofstream out(f.json_out);
    if (!out) throw UsageError(fmt::format("cannot write --json {}", f.json_out));
    out << to_json(c).dump(2) << "\n";
  }
  return c.regression() ? 1 : 0;
}

}  // namespace

void add_compare_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<CompareFlags>();
  auto* cmd = app.add_subcommand(
      "compare", "compare a run against a baseline run; exit 1 on a regression (CI gate)");
  cmd->add_option("BASELINE", f->base, "baseline run folder or results.json (shards: comma-separated)")
      ->required();
  cmd->add_option("CURRENT", f->cur, "current run folder or results.json (shards: comma-separated)")->required();
  cmd->add_option("--threshold", f->threshold, "relative change (%) that counts as worse (default 10)");
  cmd->add_option("--json", f->json_out, "also write the comparison as JSON to this file");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
