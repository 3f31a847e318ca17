// A scenario: the declarative description of one experiment, loaded from a TOML
// file in scenarios/ (a [global] table of options plus [[strategy]] variants) and
// overridden from the command line. Every option is declared once, with its help
// and default, in the option table (scenario.cpp); files and flags both use it.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "databases/populate.h"
#include "results/cell.h"
#include "strategies/strategy.h"

namespace bb {

struct Scenario {
  std::string name = "custom";
  std::string description;
  std::string workload = "ledger";  // a registered name, or "file:PATH" (a workload file)
  // The user's own data and load (docs/your-database.md): every trial runs on a
  // copy of `database` (absolute path; empty: populate the workload's own), under
  // the transactions of `workload_file` (absolute path; empty: `workload`).
  std::string database;
  std::string workload_file;
  std::vector<std::string> modes{"wal", "delete"};
  std::vector<StrategyVariant> strategies{{"online", "online", {}}};
  std::vector<int64_t> db_mb{16};
  std::vector<int64_t> writers{2};
  std::vector<std::string> filesystems{"host"};  // host, or a loop-mounted ext4/xfs/btrfs/tmpfs per trial
  std::vector<std::string> sqlite{"system"};     // SQLite builds: "system", a version, or an amalgamation folder
  int64_t readers = 1;
  double rate = 0;          // per-writer transactions/s; 0 = closed loop
  bool rate_auto = false;   // rate = utilisation x the measured capacity (capacity probe)
  // With rate_auto: the share of the measured capacity the writers are paced at,
  // per journal mode ("*" for modes not named).
  std::map<std::string, double> utilisation{{"*", 0.3}};
  double utilisation_for(const std::string& mode) const;
  double probe_s = 2;       // length of each capacity probe
  double reader_rate = 10;  // per-reader queries/s; 0 = closed loop
  std::string reader_shape = "lookup";  // lookup | scan (workloads/workload.h)
  int64_t repeat = 1;
  int64_t seed = 1;
  int64_t page_size = 4096;
  std::string synchronous = "NORMAL";
  int64_t wal_autocheckpoint = 1000;
  int64_t busy_timeout_ms = 5000;
  int64_t busy_poll_ms = 0;  // workers retry a busy lock this often; 0 = SQLite's own back-off
  bool template_cache = true;  // start trials from cached template databases (databases/templates.h)
  double warmup_s = 0.5;
  double baseline_s = 2;
  double backup_timeout_s = 0;     // 0 = auto: scaled with the database (databases/time_limit.h)
  std::string integrity_check = "auto";  // auto | full | quick (auto: quick_check above kQuickCheckAboveMb)
  int64_t backups = 1;             // backups per trial, on a schedule while the load continues (soak)
  double backup_interval_s = 30;   // between the starts of consecutive backups
  double cooldown_s = 0.5;
  // Faults injected during the backup (docs/faults.md, driver/nemesis.h): a
  // matrix axis of registered kinds (driver/fault.h), when they strike, and
  // their sizes.
  std::vector<std::string> faults{"none"};
  std::string fault_at = "reading";  // asked | reading
  int64_t fault_delay_ms = 0;
  int64_t fault_pause_ms = 200;
  int64_t fault_write_limit_kb = 256;
};

struct OptionDef {
  std::string key;
  std::string help;
  std::string default_text;
};
// The option table, for help texts and `list options`.
std::vector<OptionDef> scenario_options();

// Sets option `key` from its values (one for scalars, several for lists). Throws
// UsageError naming the key and the bad value.
void set_option(Scenario& s, const std::string& key, const std::vector<std::string>& values);

// Loads a scenario file. Errors name the file, line and key (UsageError).
Scenario load_scenario_file(const std::string& path);
// Presets are scenario files shipped in scenarios/.
std::string scenarios_dir();
std::vector<std::string> preset_names();
Scenario load_preset(const std::string& name);

// Replaces the strategy list from a comma list of names ("all" = every strategy).
void set_strategies(Scenario& s, const std::string& list);

nlohmann::json to_json(const Scenario& s);

// What a scenario's trials make their databases of (databases/populate.h).
DatabaseSpec database_spec(const Scenario& s);

// Checks what no single option can: worker counts within the shared segment's
// slots, one label per strategy variant, a matrix of sane size. UsageError.
void check_scenario(const Scenario& s);

// Expands the matrix: modes x strategies x faults x sizes x writer counts x
// filesystems x SQLite builds x repetitions.
std::vector<Cell> expand(const Scenario& s);
// Every N-th cell starting at K (0 <= K < N).
std::vector<Cell> shard(const std::vector<Cell>& cells, int k, int n);

}  // namespace bb
