// `backup-bench validate`: a JSON verdict for one snapshot. Exit 0 when OK, 1 for
// any other verdict, 2 when the snapshot path or the flags are bad input or the
// snapshot cannot be read (permissions, I/O). Never changes the snapshot.
#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <limits>

#include "cli/commands.h"
#include "core/errors.h"
#include "validation/recovery.h"
#include "validation/validator.h"
#include "workloads/workload.h"
#include "workloads/workload_file.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

struct ValidateFlags {
  std::string workload = "auto", snapshot, workload_file;
  std::optional<std::string> min, max;  // parsed by commits(): CLI11's own checks print 1.8e308 as a bound
  bool quick = false;
};

// A commit count given on the command line: a whole number from 0 up, nothing
// else (no sign, no fraction, no clamping of a number too large).
std::optional<int64_t> commits(const std::string& flag, const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  const std::string& v = *text;
  int64_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec == std::errc::result_out_of_range)
    throw UsageError(
        fmt::format("{} {}: too large (at most {} commits)", flag, v, std::numeric_limits<int64_t>::max()));
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || n < 0)
    throw UsageError(fmt::format("{} '{}': expected a number of commits, a whole number from 0 up", flag, v));
  return n;
}

int run(const ValidateFlags& f) {
  // Private copies left in $TMPDIR by a validate that was SIGKILLed: removed
  // first, whatever this run's input turns out to be.
  {
    std::error_code tec;
    const auto tmp = fs::temp_directory_path(tec);
    if (!tec) remove_stale_private_copies(tmp.string());
  }
  const auto min = commits("--committed-min", f.min), max = commits("--committed-max", f.max);
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
  if (min && max && *min > *max)
    throw UsageError(fmt::format("--committed-min {} is above --committed-max {}", *min, *max));
  // Ctrl-C or a kill during recovery removes the private copy (the folder would
  // otherwise keep a whole copy of the snapshot in $TMPDIR).
  install_private_copy_cleanup();
  Verdict v;
  try {
    v = validate_snapshot(f.snapshot, workload, {min, max}, {f.quick, {}});
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
  cmd->add_option("--committed-min", f->min, "commits that returned before the backup started")->type_name("K");
  cmd->add_option("--committed-max", f->max, "transactions begun before the backup ended")->type_name("K");
  cmd->add_flag("--quick", f->quick, "PRAGMA quick_check instead of integrity_check (large files)");
  cmd->add_option("SNAPSHOT", f->snapshot, "the database file to check")->required();
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
