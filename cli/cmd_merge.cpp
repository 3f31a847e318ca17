// `backup-bench __merge OUT_JSON RUN...` (hidden): the shards of one run merged
// into one results file with the summary recomputed, for reports/report.py.
// `backup-bench __upgrade IN_JSON OUT_JSON` (hidden): a backup-bench/1 results
// file rewritten as backup-bench/2, its summary kept (the report's test
// fixtures, whose thinned series could not give it again).
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "core/errors.h"
#include "results/files.h"
#include "results/merge.h"
#include "results/schema.h"

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
  auto paths = std::make_shared<std::vector<std::string>>();
  auto* up = app.add_subcommand("__upgrade", "internal: rewrite a backup-bench/1 results file as backup-bench/2");
  up->group("");
  up->add_option("FILES", *paths, "IN_JSON OUT_JSON")->required()->expected(2);
  up->callback([paths, &action] {
    action = [paths] {
      std::ifstream in((*paths)[0]);
      std::stringstream text;
      text << in.rdbuf();
      nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
      if (!in || j.is_discarded() || !j.is_object() || j.value("schema", "") != kResultsSchemaV1)
        throw UsageError((*paths)[0] + " is not a backup-bench/1 results file");
      upgrade_v1(j);
      write_file_atomic((*paths)[1], j.dump() + "\n");
      return 0;
    };
  });
}

}  // namespace bb
