// `backup-bench compare`: a run against a baseline run, as a CI gate. The rules
// and statistics are in compare/gate.cpp and docs/compare.md.
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "core/errors.h"
#include "compare/gate.h"
#include "results/merge.h"
#include "results/files.h"
#include "results/shard_set.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

struct CompareFlags {
  std::string base, cur, json_out, markdown_out, junit_out, correction = "bh";
  double threshold = 10, alpha = 0.05;
  bool strict = false, check = false;
};

// One side of the comparison: a run, the shards of one run given with commas,
// or a folder holding shard run folders (results/shard_set.h), merged.
nlohmann::json load_side(const std::string& list) {
  bool from_folder = false;
  auto runs = find_runs(split_paths(list), &from_folder);
  MergeOptions mo;
  mo.summary = false;
  mo.complete = from_folder;
  return merge_runs(runs, mo);
}

// Which host each side ran on (which hosts, for the shards of a run), so a
// comparison across machines is seen before its figures are read.
void print_hosts(const char* side, const nlohmann::json& run) {
  const auto& hosts = run["hosts"];
  if (run["sources"].size() > 1 || hosts.size() > 1)
    fmt::print("{}: {} shard(s) on {}\n", side, run["sources"].size(), hosts_text(hosts));
  else if (hosts.size() == 1 && hosts[0]["hostname"].is_string())
    fmt::print("{}: one run on {}\n", side, hosts[0]["hostname"].get<std::string>());
}

// An output file's folder must exist, and the path must not be a folder: checked
// before any run is read.
void check_output(const char* flag, const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  fs::path p(path);
  if (fs::is_directory(p, ec)) throw UsageError(fmt::format("{} {} is a directory", flag, path));
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) throw UsageError(fmt::format("{} {}: folder {} does not exist", flag, path, dir.string()));
}

void write_output(const char* flag, const std::string& path, const std::string& text) {
  if (path.empty()) return;
  try {
    write_file_atomic(path, text);
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("cannot write {} {}: {}", flag, path, e.what()));
  }
}

int run(const CompareFlags& f) {
  if (!(f.threshold >= 0)) throw UsageError(fmt::format("--threshold {} is negative", f.threshold));
  if (!(f.alpha > 0 && f.alpha <= 0.5)) throw UsageError(fmt::format("--alpha {} is not in (0, 0.5]", f.alpha));
  check_output("--json", f.json_out);
  check_output("--markdown", f.markdown_out);
  check_output("--junit", f.junit_out);
  auto base = load_side(f.base);
  auto cur = load_side(f.cur);
  if (f.check) {
    fmt::print("compare: baseline {} trial(s), current {} trial(s): both readable\n", base["trials"].size(),
               cur["trials"].size());
    print_hosts("baseline", base);
    print_hosts("current", cur);
    return 0;
  }
  CompareOptions opts;
  opts.threshold_pct = f.threshold;
  opts.alpha = f.alpha;
  opts.correction = f.correction == "holm" ? Correction::kHolm : Correction::kBenjaminiHochberg;
  auto c = compare_runs(base, cur, opts);
  c.base_path = f.base;
  c.cur_path = f.cur;
  write_output("--json", f.json_out, to_json(c, f.strict).dump(2) + "\n");
  write_output("--markdown", f.markdown_out, markdown_comparison(c, f.strict));
  write_output("--junit", f.junit_out, junit_comparison(c, f.strict));
  if (c.cells.empty()) throw UsageError(no_common_cell_line(c));
  print_hosts("baseline", base);
  print_hosts("current", cur);
  fmt::print("{}", format_comparison(c, f.strict));
  return c.exit_code(f.strict);
}

}  // namespace

void add_compare_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<CompareFlags>();
  auto* cmd = app.add_subcommand(
      "compare", "compare a run against a baseline run as a CI gate (exit 1 on a regression)");
  cmd->add_option("BASELINE", f->base, "baseline run folder or results.json (shards of one run: comma-separated, or a folder holding them)")
      ->type_name("RUN[,RUN...]")
      ->required();
  cmd->add_option("CURRENT", f->cur, "current run folder or results.json (shards of one run: comma-separated, or a folder holding them)")
      ->type_name("RUN[,RUN...]")
      ->required();
  cmd->add_option("--threshold", f->threshold, "a smaller change of a median, in % of the baseline, is never a "
                                               "regression")
      ->type_name("PCT")
      ->capture_default_str();
  cmd->add_option("--alpha", f->alpha, "false-alarm rate over all the tests of one comparison")
      ->capture_default_str();
  cmd->add_option("--correction", f->correction,
                  "multiple-comparison correction: bh (Benjamini-Hochberg) or holm (Holm)")
      ->check(CLI::IsMember({"bh", "holm"}).description(""))
      ->type_name("bh|holm")
      ->capture_default_str();
  cmd->add_flag("--strict", f->strict,
                "exit 2 when the runs differ (strategies, modes, sizes, repetitions, scenario, machine) or the "
                "repetitions are too few to judge any metric");
  cmd->add_flag("--check", f->check, "read and check both runs (shards found and checked), compare nothing, write "
                                     "nothing");
  cmd->add_option("--json", f->json_out, "also write the comparison as JSON to this file")->type_name("FILE");
  cmd->add_option("--markdown", f->markdown_out, "also write a Markdown summary (for a CI job summary) to this file")
      ->type_name("FILE");
  cmd->add_option("--junit", f->junit_out, "also write JUnit XML (one test case per cell) to this file")
      ->type_name("FILE");
  cmd->footer(
      "Exit codes:\n"
      "  0  no regression\n"
      "  1  a regression: a new wrong snapshot of a strategy expected to be safe, more failed backups (Fisher's\n"
      "     exact test), or a metric worse by more than it can resolve (one-sided Mann-Whitney U, corrected over\n"
      "     every test of the comparison)\n"
      "  2  bad input, runs that share no cell, or (with --strict) runs that are not like for like\n"
      "  3  internal error\n"
      "See docs/compare.md for the rules and a CI recipe.");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
