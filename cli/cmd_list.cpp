// `backup-bench list` and `backup-bench holders`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "cli/commands.h"
#include "core/errors.h"
#include "core/holders.h"
#include "driver/fault.h"
#include "driver/scenario.h"
#include "strategies/strategy.h"
#include "workloads/workload.h"

namespace bb {
namespace {

int list(const std::string& what) {
  if (what == "strategies") {
    for (auto& s : strategies()) {
      fmt::print("{}\n    {}\n    safe: {}\n", s.name, s.description, s.safety_note);
      if (!s.needs.empty()) fmt::print("    needs: {}\n", s.needs);
      for (auto& p : s.params)
        fmt::print("    --opt {}={}   {}{}\n", p.name, p.default_value, p.help,
                   p.choices.empty() ? "" : fmt::format(" ({})", fmt::join(p.choices, "|")));
    }
  } else if (what == "workloads") {
    for (auto& w : workloads()) fmt::print("{:<10} {}\n", w.name, w.description);
  } else if (what == "faults") {
    for (auto& k : fault_kinds())
      fmt::print("{}\n    {}\n    target: {}{}\n", k.name, k.description, aim_text(k.aim),
                 k.from_start ? ", from the start" : "");
  } else if (what == "presets") {
    for (auto& n : preset_names()) {
      Scenario s = load_preset(n);
      fmt::print("{:<12} {}\n", n, s.description);
    }
  } else if (what == "options") {
    for (auto& o : scenario_options()) fmt::print("{:<20} {} (default: {})\n", o.key, o.help, o.default_text);
  }
  return 0;
}

int holders(const std::string& db) {
  std::error_code ec;
  const auto st = std::filesystem::status(db, ec);
  if (!std::filesystem::exists(st)) throw UsageError(fmt::format("database {} does not exist", db));
  // A folder or a FIFO is no database: "no process holds it" would be a wrong answer.
  if (std::filesystem::is_directory(st)) throw UsageError(fmt::format("{} is a folder, not a database file", db));
  if (!std::filesystem::is_regular_file(st))
    throw UsageError(fmt::format("{} is not a regular file (a FIFO, device or socket), not a database file", db));
  auto hs = find_holders(db);
  if (hs.empty()) fmt::print("no process holds {} open\n", db);
  for (auto& h : hs) fmt::print("{:>7}  {:<10}  {}  {}\n", h.pid, h.access, h.file, h.command);
  return 0;
}

}  // namespace

void add_list_command(CLI::App& app, Action& action) {
  auto what = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("list", "list strategies, workloads, faults, presets or scenario options");
  cmd->add_option("WHAT", *what, "strategies|workloads|faults|presets|options")
      ->required()
      ->check(CLI::IsMember({"strategies", "workloads", "faults", "presets", "options"}));
  cmd->callback([what, &action] { action = [what] { return list(*what); }; });
}

void add_holders_command(CLI::App& app, Action& action) {
  auto db = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("holders", "list the processes that have a database (or its -wal/-journal/-shm) open");
  cmd->add_option("DB", *db, "database file")->required();
  cmd->callback([db, &action] { action = [db] { return holders(*db); }; });
}

}  // namespace bb
