// `backup-bench validate`: a JSON verdict for one snapshot. Exit 0 when OK, 1 for
// any other verdict, 2 when the snapshot path or the flags are bad input or the
// snapshot cannot be read (permissions, I/O). Never changes the snapshot.
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "core/errors.h"
#include "validation/validator.h"
#include "workloads/workload.h"
#include "workloads/workload_file.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

struct ValidateFlags {
  std::string workload = "auto", snapshot, workload_file;
  std::optional<int64_t> min, max;
  bool quick = false;
};

int run(const ValidateFlags& f) {
  // Bad input, not a verdict: a path that is missing, cannot be examined, or is
  // not a regular file (a directory, a FIFO that would block the first read, a
  // device).
  std::error_code ec;
  auto st = fs::status(f.snapshot, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw UsageError(fmt::format("snapshot {} cannot be examined: {}", f.snapshot, ec.message()));
  if (!fs::exists(st)) throw UsageError(fmt::format("snapshot {} does not exist", f.snapshot));
  if (fs::is_directory(st)) throw UsageError(fmt::format("snapshot {} is a directory, not a database file", f.snapshot));
  if (!fs::is_regular_file(st)) throw UsageError(fmt::format("snapshot {} is not a regular file", f.snapshot));
  std::string workload = f.workload;
  if (!f.workload_file.empty()) {
    load_workload_file(f.workload_file);  // its shape first: errors name the file's line
    workload = kFileWorkloadPrefix + fs::absolute(f.workload_file).string();
  } else if (f.workload != "auto" && f.workload != "none" && !find_workload(f.workload))
    throw UsageError(fmt::format("unknown workload '{}' (auto, none, or see: backup-bench list workloads)",
                                 f.workload));
  if (f.min && f.max && *f.min > *f.max)
    throw UsageError(fmt::format("--committed-min {} is above --committed-max {}", *f.min, *f.max));
  Verdict v;
  try {
    v = validate_snapshot(f.snapshot, workload, {f.min, f.max}, {f.quick, {}});
  } catch (const SnapshotAccessError& e) {
    throw UsageError(e.what());
  }
  if (workload == "auto") {
    if (v.workload_source == "detected")
      fmt::print(stderr, "backup-bench validate: workload {}, recognised from the snapshot's schema\n", v.workload);
    else
      fmt::print(stderr, "backup-bench validate: {}: integrity only (--workload NAME checks a workload's invariants)\n",
                 v.workload_source.starts_with("none: ") ? v.workload_source.substr(6) : v.workload_source);
  }
  auto j = to_json(v);
  j["snapshot"] = f.snapshot;
  j["integrity_pragma"] = f.quick ? "quick_check" : "integrity_check";
  fmt::print("{}\n", j.dump(2));
  return v.ok() ? 0 : 1;
}

}  // namespace

void add_validate_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<ValidateFlags>();
  auto* cmd = app.add_subcommand(
      "validate", "check a snapshot, read-only: integrity, invariants, freshness; prints a JSON verdict");
  cmd->add_option("--workload", f->workload,
                  "whose invariants to check: auto (recognised from the schema, else integrity only), none "
                  "(integrity only), or a workload name")
      ->capture_default_str();
  cmd->add_option("--workload-file", f->workload_file,
                  "check the invariants of a workload file (and its harness table, when present)")
      ->type_name("FILE");
  cmd->add_option("--committed-min", f->min, "commits that returned before the backup started")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--committed-max", f->max, "transactions begun before the backup ended")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--quick", f->quick, "PRAGMA quick_check instead of integrity_check (large files)");
  cmd->add_option("SNAPSHOT", f->snapshot, "the database file to check")->required();
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
