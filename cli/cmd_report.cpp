// `backup-bench report`: report.html, charts and summary.md from a run folder's
// results.json, written by reports/report.py (Debian's python3 with matplotlib).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "core/errors.h"
#include "core/process.h"
#include "results/merge.h"
#include "results/schema.h"
#include "results/shard_set.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which has matplotlib

struct ReportFlags {
  std::vector<std::string> runs;
  std::string out;
  bool check = false;
};

// Beside the binary's source tree, or installed beside the binary, like scenarios/.
std::string reports_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  for (auto p : {exe.parent_path().parent_path() / "reports", exe.parent_path() / "reports"})
    if (!ec && fs::exists(p / "report.py")) return p.string();
  return std::string(BB_SOURCE_DIR) + "/reports";
}

// A run folder's results.json, checked before anything starts: it must be a
// regular file (a FIFO would block the reader, a folder is not results).
std::string results_of(const std::string& run) {
  std::error_code ec;
  auto st = fs::status(run, ec);
  if (!fs::exists(st)) throw UsageError(fmt::format("run folder {} does not exist", run));
  if (!fs::is_directory(st)) throw UsageError(fmt::format("{} is not a run folder (give the folder)", run));
  const auto json = fs::path(run) / "results.json";
  auto js = fs::status(json, ec);
  if (!fs::exists(js)) throw UsageError(fmt::format("{} holds no results.json (not a run folder)", run));
  if (!fs::is_regular_file(js)) throw UsageError(fmt::format("{} is not a regular file", json.string()));
  return json.string();
}

// The schema a results file names ("" when it cannot be read as JSON: the
// report says why).
std::string schema_of(const std::string& file) {
  std::ifstream in(file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  return !j.is_discarded() && j.is_object() && j.contains("schema") && j["schema"].is_string()
             ? j["schema"].get<std::string>()
             : "";
}

// The results the report reads: one run folder's, or the merge of several
// (shards of one scenario, named or found below a folder: results/shard_set.h),
// written beside the report as merged-results.json. So is one folder of the
// previous version (backup-bench/1): the merge reads it as this one, or
// refuses it with one line.
std::string results_for(const std::vector<std::string>& given, const std::string& out) {
  bool from_folder = false;
  const auto runs = find_runs(given, &from_folder);
  if (runs.size() == 1 && !from_folder) {
    const std::string json = results_of(runs.front());
    const std::string schema = schema_of(json);
    if (schema.empty() || schema == kResultsSchema) return json;
  }
  MergeOptions mo;
  mo.complete = from_folder;  // several runs are always checked complete by the merge
  auto merged = merge_runs(runs, mo);
  std::error_code ec;
  fs::create_directories(out, ec);
  const std::string path = out + "/merged-results.json";
  write_merged(path, std::move(merged));
  return path;
}

// --check: the runs found and checked as for a report, what would be merged
// printed, nothing written.
int check(const ReportFlags& f) {
  bool from_folder = false;
  const auto runs = find_runs(f.runs, &from_folder);
  MergeOptions mo;
  mo.summary = false;
  mo.complete = from_folder;
  auto m = merge_runs(runs, mo);
  fmt::print("report: {} run folder(s), shard(s) {} of {}, scenario '{}', {} trial(s); hosts: {}\n", runs.size(),
             m["shard"]["k"].dump(), m["shard"]["n"].dump(), m["scenario"].value("name", "?"), m["trials"].size(),
             hosts_text(m["hosts"]));
  if (!m["host_differences"].empty())
    fmt::print("WARNING: the shards ran on hosts that differ in {}\n", differences_text(m["host_differences"]));
  return 0;
}

int run(const ReportFlags& f) {
  if (f.check) return check(f);
  const std::string out = f.out.empty() ? f.runs.front() : f.out;
  const std::string results = results_for(f.runs, out);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out)) throw UsageError(fmt::format("cannot create --out {}", out));
  const std::string script = reports_dir() + "/report.py";
  if (!fs::exists(script)) throw std::runtime_error(fmt::format("{} not found", script));
  if (access(kPython, X_OK) != 0)
    throw std::runtime_error(fmt::format("{} not found (install python3-matplotlib)", kPython));
  fflush(stdout);
  // report.py prints the page's path, or one line on stderr and exit 2 for bad input.
  auto status = wait_for(spawn(kPython, {script, "--out", out, results}));
  if (status.signal) throw std::runtime_error(fmt::format("report.py was killed by signal {}", status.signal));
  if (status.code == 2) return 2;
  if (status.code != 0) throw std::runtime_error(fmt::format("report.py exited with code {}", status.code));
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<ReportFlags>();
  auto* cmd = app.add_subcommand(
      "report", "write report.html (the recommendation, summary, charts as PNG and SVG, the seed article's claims) "
                "and summary.md from a run folder");
  cmd->add_option("RUN_DIR", f->runs,
                  "run folder (holding results.json); several, or a folder holding shard run folders: the shards of "
                  "one run, merged")
      ->required();
  cmd->add_flag("--check", f->check, "find and check the runs (shards of one run), print what would be merged, "
                                     "write nothing");
  cmd->add_option("--out", f->out, "output folder (default: the run folder)");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
