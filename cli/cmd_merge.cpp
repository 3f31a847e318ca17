// `backup-bench __merge OUT_JSON RUN...` (hidden): the shards of one run merged
// into one results file with the summary recomputed, for reports/report.py.
#include "cli/commands.h"
#include "results/merge.h"

namespace bb {

void add_merge_command(CLI::App& app, Action& action) {
  auto out = std::make_shared<std::string>();
  auto runs = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("__merge", "internal: merge the shards of one run into OUT_JSON");
  cmd->group("");
  cmd->add_option("OUT_JSON", *out, "the merged results file to write")->required();
  cmd->add_option("RUN", *runs, "run folders or results.json files (the shards of one run)")->required();
  cmd->callback([out, runs, &action] {
    action = [out, runs] {
      write_merged(*out, merge_runs(*runs));
      return 0;
    };
  });
}

}  // namespace bb
