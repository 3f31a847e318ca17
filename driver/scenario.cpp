// Scenario files, the option table, and matrix expansion.
#include "driver/scenario.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <toml++/toml.h>

#include "core/errors.h"
#include "core/shared_state.h"
#include "driver/fault.h"
#include "workloads/workload.h"
#include "workloads/workload_file.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using Values = std::vector<std::string>;

// Bounds that keep every derived quantity finite: a rate slower than one
// operation per 100 s would sleep past any stop, durations beyond a day overflow
// nothing but help no one, and the shared segment has kMaxWorkers slots.
constexpr int64_t kMaxDbMb = 1 << 20;  // 1 TB
constexpr double kMinRate = 0.01, kMaxRate = 1e6;
constexpr int64_t kMaxRepeat = 10'000;
constexpr double kMaxSeconds = 86'400;
constexpr int64_t kMaxCells = 100'000;

int64_t to_int(const std::string& key, const std::string& v, int64_t min, int64_t max) {
  int64_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec == std::errc::result_out_of_range) throw UsageError(fmt::format("{}: {} is out of range", key, v));
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || v.empty())
    throw UsageError(fmt::format("{}: '{}' is not an integer", key, v));
  if (n < min) throw UsageError(fmt::format("{}: {} is below the minimum {}", key, n, min));
  if (n > max) throw UsageError(fmt::format("{}: {} is above the maximum {}", key, n, max));
  return n;
}

double to_double(const std::string& key, const std::string& v, double min, double max) {
  size_t used = 0;
  double d = 0;
  try {
    d = std::stod(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty() || !std::isfinite(d))
    throw UsageError(fmt::format("{}: '{}' is not a number", key, v));
  if (d < min) throw UsageError(fmt::format("{}: {} is below the minimum {}", key, v, min));
  if (d > max) throw UsageError(fmt::format("{}: {} is above the maximum {}", key, v, max));
  return d;
}

const std::string& one(const std::string& key, const Values& v) {
  if (v.size() != 1) throw UsageError(fmt::format("{}: expected one value, got {}", key, v.size()));
  return v[0];
}

struct Option {
  OptionDef def;
  std::function<void(Scenario&, const Values&)> set;
};

const std::vector<Option>& table() {
  auto int_list = [](std::vector<int64_t> Scenario::*m, int64_t min, int64_t max) {
    return [m, min, max](Scenario& s, const Values& v) {
      if (v.empty()) throw UsageError("empty list");
      std::vector<int64_t> out;
      for (auto& x : v) {
        int64_t n = to_int("value", x, min, max);
        if (std::find(out.begin(), out.end(), n) != out.end())
          throw UsageError(fmt::format("value {} is listed twice", n));
        out.push_back(n);
      }
      s.*m = out;
    };
  };
  auto int_opt = [](int64_t Scenario::*m, int64_t min, int64_t max) {
    return [m, min, max](Scenario& s, const Values& v) { s.*m = to_int("value", one("value", v), min, max); };
  };
  auto dbl_opt = [](double Scenario::*m, double min, double max) {
    return [m, min, max](Scenario& s, const Values& v) { s.*m = to_double("value", one("value", v), min, max); };
  };
  static const std::vector<Option> t{
      {{"description", "what the scenario is for", ""}, [](Scenario& s, const Values& v) { s.description = one("description", v); }},
      {{"workload", "workload name (list workloads)", "ledger"},
       [](Scenario& s, const Values& v) {
         s.workload = one("workload", v);
         if (!find_workload(s.workload))
           throw UsageError(fmt::format("unknown workload '{}' (see: backup-bench list workloads)", s.workload));
       }},
      {{"database",
        "your own SQLite database: every trial runs on a copy of it (it is never written); its size replaces db_mb",
        ""},
       [](Scenario& s, const Values& v) {
         const std::string p = one("database", v);
         s.database = p.empty() ? p : fs::absolute(p).lexically_normal().string();
       }},
      {{"workload_file",
        "a workload file (TOML: your transactions, parameters and invariants; docs/your-database.md)", ""},
       [](Scenario& s, const Values& v) {
         const std::string p = one("workload_file", v);
         if (p.empty()) {
           s.workload_file.clear();
           if (is_file_workload(s.workload)) s.workload = "ledger";
           return;
         }
         s.workload_file = fs::absolute(p).lexically_normal().string();
         load_workload_file(s.workload_file);  // its shape, now: errors name the file's line
         s.workload = kFileWorkloadPrefix + s.workload_file;
       }},
      {{"modes", "journal modes to run: wal, delete, truncate, persist", "wal,delete"},
       [](Scenario& s, const Values& v) {
         static const Values ok{"wal", "delete", "truncate", "persist"};
         if (v.empty()) throw UsageError("no journal mode given");
         for (size_t i = 0; i < v.size(); ++i) {
           if (std::find(ok.begin(), ok.end(), v[i]) == ok.end())
             throw UsageError(fmt::format("unknown journal mode '{}' (expected {})", v[i], fmt::join(ok, ", ")));
           if (std::find(v.begin(), v.begin() + long(i), v[i]) != v.begin() + long(i))
             throw UsageError(fmt::format("journal mode '{}' is listed twice", v[i]));
         }
         s.modes = v;
       }},
      {{"strategies", "strategy names with default parameters ('all' = every strategy)", "online"},
       [](Scenario& s, const Values& v) { set_strategies(s, fmt::format("{}", fmt::join(v, ","))); }},
      {{"db_mb", "database sizes in MB (a list makes a matrix axis)", "16"}, int_list(&Scenario::db_mb, 1, kMaxDbMb)},
      {{"writers", "writer process counts (a list makes a matrix axis)", "2"},
       int_list(&Scenario::writers, 1, kMaxWorkers)},
      {{"filesystem",
        "where a trial's database and destination live: host (the run folder), or a fresh loop-mounted ext4, xfs, "
        "btrfs or tmpfs per trial (a list makes a matrix axis; needs root)",
        "host"},
       [](Scenario& s, const Values& v) {
         static const Values ok{"host", "ext4", "xfs", "btrfs", "tmpfs"};
         if (v.empty()) throw UsageError("no filesystem given");
         for (size_t i = 0; i < v.size(); ++i) {
           if (std::find(ok.begin(), ok.end(), v[i]) == ok.end())
             throw UsageError(fmt::format("unknown filesystem '{}' (expected {})", v[i], fmt::join(ok, ", ")));
           if (std::find(v.begin(), v.begin() + long(i), v[i]) != v.begin() + long(i))
             throw UsageError(fmt::format("filesystem '{}' is listed twice", v[i]));
         }
         s.filesystems = v;
       }},
      {{"sqlite",
        "SQLite builds to run on: system (this binary), a version with a second build (3.50.4), or an amalgamation "
        "folder (built once with scripts/build-sqlite); a list makes a matrix axis",
        "system"},
       [](Scenario& s, const Values& v) {
         if (v.empty()) throw UsageError("no SQLite build given");
         for (size_t i = 0; i < v.size(); ++i) {
           if (v[i].empty()) throw UsageError("an empty SQLite build name");
           if (std::find(v.begin(), v.begin() + long(i), v[i]) != v.begin() + long(i))
             throw UsageError(fmt::format("SQLite build '{}' is listed twice", v[i]));
         }
         s.sqlite = v;
       }},
      {{"readers", "reader processes", "1"}, int_opt(&Scenario::readers, 0, kMaxWorkers - 1)},
      {{"rate", "per-writer target transactions/s (open loop); 0 = as fast as possible (closed loop); "
                "'auto' = utilisation x the capacity a probe measures",
        "0"},
       [](Scenario& s, const Values& v) {
         if (one("rate", v) == "auto") {
           s.rate_auto = true;
           s.rate = 0;
           return;
         }
         s.rate_auto = false;
         s.rate = to_double("rate", v[0], 0, kMaxRate);
         if (s.rate > 0 && s.rate < kMinRate)
           throw UsageError(fmt::format("rate: {} is below the minimum {} (or 0 for closed loop)", v[0], kMinRate));
       }},
      {{"utilisation",
        "with rate = 'auto': the share of the measured capacity the writers are paced at; one number, or per "
        "journal mode (TOML table { wal = 0.05, delete = 0.3 }, flag wal:0.05,delete:0.3)",
        "0.3"},
       [](Scenario& s, const Values& v) {
         if (v.empty()) throw UsageError("empty list");
         std::map<std::string, double> u;
         for (auto& x : v) {
           auto colon = x.find(':');
           std::string mode = colon == std::string::npos ? "*" : x.substr(0, colon);
           std::string num = colon == std::string::npos ? x : x.substr(colon + 1);
           if (mode != "*" && mode != "wal" && mode != "delete" && mode != "truncate" && mode != "persist")
             throw UsageError(fmt::format("unknown journal mode '{}'", mode));
           u[mode] = to_double("value", num, 0.001, 1);
         }
         if (!u.count("*")) u["*"] = 0.3;
         s.utilisation = u;
       }},
      {{"probe_s", "with rate = 'auto': seconds of each capacity probe", "2"}, dbl_opt(&Scenario::probe_s, 0.2, 60)},
      {{"reader_rate", "per-reader target queries/s (open loop); 0 = as fast as possible", "10"},
       [](Scenario& s, const Values& v) {
         s.reader_rate = to_double("reader_rate", one("reader_rate", v), 0, kMaxRate);
         if (s.reader_rate > 0 && s.reader_rate < kMinRate)
           throw UsageError(fmt::format("reader_rate: {} is below the minimum {} (or 0 for closed loop)", v[0],
                                        kMinRate));
       }},
      {{"reader_shape", "what a reader does: lookup (a few rows by key) or scan (a whole table)", "lookup"},
       [](Scenario& s, const Values& v) {
         s.reader_shape = one("reader_shape", v);
         parse_reader_shape(s.reader_shape);
       }},
      {{"repeat", "repetitions of every cell", "1"}, int_opt(&Scenario::repeat, 1, kMaxRepeat)},
      {{"seed", "seed every random choice derives from", "1"}, int_opt(&Scenario::seed, 0, int64_t(1) << 53)},
      {{"page_size", "database page size in bytes", "4096"},
       [](Scenario& s, const Values& v) {
         int64_t n = to_int("page_size", one("page_size", v), 512, 65536);
         if (n & (n - 1)) throw UsageError(fmt::format("page_size: {} is not a power of two in 512..65536", n));
         s.page_size = n;
       }},
      {{"synchronous", "PRAGMA synchronous for workers: OFF, NORMAL, FULL, EXTRA", "NORMAL"},
       [](Scenario& s, const Values& v) {
         static const Values ok{"OFF", "NORMAL", "FULL", "EXTRA"};
         auto x = one("synchronous", v);
         if (std::find(ok.begin(), ok.end(), x) == ok.end()) throw UsageError(fmt::format("synchronous: unknown value '{}'", x));
         s.synchronous = x;
       }},
      {{"wal_autocheckpoint", "PRAGMA wal_autocheckpoint in pages (0 = off)", "1000"},
       int_opt(&Scenario::wal_autocheckpoint, 0, 1'000'000'000)},
      {{"busy_timeout_ms", "how long a worker waits for a lock before its transaction fails with BUSY", "5000"},
       int_opt(&Scenario::busy_timeout_ms, 0, kMaxSeconds * 1000)},
      {{"busy_poll_ms",
        "how often a worker retries a busy lock, in ms; 0 = SQLite's own busy_timeout back-off (1 ms rising to 100 ms)",
        "0"},
       int_opt(&Scenario::busy_poll_ms, 0, 1000)},
      {{"template_cache", "start each trial from a cached template database (false: populate every trial)", "true"},
       [](Scenario& s, const Values& v) {
         auto x = one("template_cache", v);
         if (x != "true" && x != "false") throw UsageError(fmt::format("template_cache: '{}' is not true or false", x));
         s.template_cache = x == "true";
       }},
      {{"warmup_s", "seconds of load before measuring", "0.5"}, dbl_opt(&Scenario::warmup_s, 0, kMaxSeconds)},
      {{"baseline_s", "seconds of the baseline window (no backup)", "2"},
       dbl_opt(&Scenario::baseline_s, 0.1, kMaxSeconds)},
      {{"backup_timeout_s",
        "time limit for each backup, past it the backup is killed (timeout); 'auto' = 30 x a plain durable copy of "
        "the database on this machine, at least 10 s",
        "auto"},
       [](Scenario& s, const Values& v) {
         if (one("backup_timeout_s", v) == "auto") s.backup_timeout_s = 0;
         else s.backup_timeout_s = to_double("backup_timeout_s", v[0], 0.1, kMaxSeconds);
       }},
      {{"integrity_check",
        "how snapshots are checked: full (PRAGMA integrity_check), quick (quick_check: no index cross-checks), or "
        "auto (quick above 1 GB)",
        "auto"},
       [](Scenario& s, const Values& v) {
         auto x = one("integrity_check", v);
         if (x != "auto" && x != "full" && x != "quick")
           throw UsageError(fmt::format("integrity_check: '{}' is not auto, full or quick", x));
         s.integrity_check = x;
       }},
      {{"cooldown_s", "seconds of load after the (last) backup", "0.5"}, dbl_opt(&Scenario::cooldown_s, 0, kMaxSeconds)},
      {{"backups", "backups per trial, one every backup_interval_s while the load continues (a soak)", "1"},
       int_opt(&Scenario::backups, 1, 10'000)},
      {{"backup_interval_s", "seconds between the starts of consecutive backups of a trial (a late one starts when "
                             "the previous ends)",
        "30"},
       dbl_opt(&Scenario::backup_interval_s, 0, kMaxSeconds)},
      {{"faults",
        fmt::format("faults injected during the backup, a matrix axis (docs/faults.md, list faults): {}",
                    fmt::join(fault_names(), ", ")),
        "none"},
       [](Scenario& s, const Values& v) {
         if (v.empty()) throw UsageError("empty list");
         const auto known = fault_names();
         for (size_t i = 0; i < v.size(); ++i) {
           if (std::find(known.begin(), known.end(), v[i]) == known.end())
             throw UsageError(fmt::format("unknown fault '{}' (expected {})", v[i], fmt::join(known, ", ")));
           if (std::find(v.begin(), v.begin() + long(i), v[i]) != v.begin() + long(i))
             throw UsageError(fmt::format("fault '{}' is listed twice", v[i]));
         }
         s.faults = v;
       }},
      {{"fault_at", "when a fault strikes: asked (the backup starts asking for the database) or reading (its first "
                    "read of the source)",
        "reading"},
       [](Scenario& s, const Values& v) {
         auto x = one("fault_at", v);
         if (x != "asked" && x != "reading")
           throw UsageError(fmt::format("fault_at: '{}' is not asked or reading", x));
         s.fault_at = x;
       }},
      {{"fault_delay_ms", "milliseconds after fault_at before a fault strikes", "0"},
       int_opt(&Scenario::fault_delay_ms, 0, 600'000)},
      {{"fault_pause_ms", "pause-*: how long the target stays stopped (SIGSTOP .. SIGCONT)", "200"},
       int_opt(&Scenario::fault_pause_ms, 1, 600'000)},
      {{"fault_write_limit_kb",
        "fail-dest-write: a write reaching past this offset (KiB) of any destination file fails with EIO", "256"},
       int_opt(&Scenario::fault_write_limit_kb, 0, int64_t(1) << 30)},
  };
  return t;
}

uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// "a table", "an integer", ... for messages.
std::string toml_type_name(const toml::node& n) {
  if (n.is_table()) return "a table";
  if (n.is_array()) return "a list";
  if (n.is_integer()) return "an integer";
  if (n.is_floating_point()) return "a number";
  if (n.is_boolean()) return "a boolean";
  return "a value";
}

Values node_values(const toml::node& n) {
  Values out;
  if (auto tbl = n.as_table()) {
    // A table of scalars becomes "key:value" items (per-mode options).
    for (auto& [k, v] : *tbl) {
      Values one_value = node_values(v);
      if (one_value.size() != 1) throw UsageError("expected a table of single values");
      out.push_back(std::string(k.str()) + ":" + one_value[0]);
    }
    return out;
  }
  auto scalar = [](const toml::node& x) -> std::string {
    if (auto s = x.value<std::string>()) return *s;
    if (x.is_integer()) return std::to_string(*x.value<int64_t>());
    if (x.is_floating_point()) return fmt::format("{}", *x.value<double>());
    if (x.is_boolean()) return *x.value<bool>() ? "true" : "false";
    throw UsageError("expected a string, number, boolean or a list of them");
  };
  if (auto arr = n.as_array()) {
    for (auto& e : *arr) out.push_back(scalar(e));
  } else {
    out.push_back(scalar(n));
  }
  return out;
}

}  // namespace

std::vector<OptionDef> scenario_options() {
  std::vector<OptionDef> out;
  for (auto& o : table()) out.push_back(o.def);
  return out;
}

void set_option(Scenario& s, const std::string& key, const Values& values) {
  for (auto& o : table()) {
    if (o.def.key != key) continue;
    try {
      o.set(s, values);
    } catch (const UsageError& e) {
      std::string m = e.what();
      // Errors from shared helpers say "value"; name the option instead.
      if (m.rfind("value", 0) == 0) m = key + m.substr(5);
      else if (m.rfind(key, 0) != 0) m = key + ": " + m;
      throw UsageError(m);
    }
    return;
  }
  throw UsageError(fmt::format("unknown option '{}'", key));
}

void set_strategies(Scenario& s, const std::string& list) {
  s.strategies.clear();
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string name = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? list.size() + 1 : comma + 1;
    if (name.empty()) continue;
    if (name == "all") {
      for (auto& st : strategies()) s.strategies.push_back({st.name, st.name, {}});
      continue;
    }
    if (!find_strategy(name)) {
      std::vector<std::string> names;
      for (auto& st : strategies()) names.push_back(st.name);
      throw UsageError(fmt::format("unknown strategy '{}' (known: {})", name, fmt::join(names, ", ")));
    }
    s.strategies.push_back({name, name, {}});
  }
  if (s.strategies.empty()) throw UsageError("no strategy given");
}

Scenario load_scenario_file(const std::string& path) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (fs::is_directory(st))
    throw UsageError(fmt::format("scenario {} is a folder, not a scenario file (give a .toml file in it)", path));
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw UsageError(fmt::format("scenario {} is not a regular file", path));
  if (!fs::exists(st)) throw UsageError(fmt::format("scenario file {} does not exist", path));
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  Scenario s;
  s.name = fs::path(path).stem().string();
  auto where = [&](const toml::node& n) { return fmt::format("{}:{}", path, n.source().begin.line); };
  for (auto& [k, v] : doc) {
    std::string key(k.str());
    if (key != "global" && key != "strategy")
      throw UsageError(fmt::format("{}: unknown section '{}' (expected [global] and [[strategy]])", where(v), key));
  }
  if (auto g = doc["global"].as_table()) {
    for (auto& [k, v] : *g) {
      try {
        set_option(s, std::string(k.str()), node_values(v));
      } catch (const UsageError& e) {
        throw UsageError(fmt::format("{}: {}", where(v), e.what()));
      }
    }
  }
  if (auto arr = doc["strategy"].as_array()) {
    bool replaced = false;
    for (auto& el : *arr) {
      auto t = el.as_table();
      if (!t) throw UsageError(fmt::format("{}: [[strategy]] must be a table", where(el)));
      StrategyVariant v;
      for (auto& [k, val] : *t) {
        std::string key(k.str());
        try {
          // A name or label is text: a table would be flattened to "key:value".
          if ((key == "name" || key == "label") && !val.is_string())
            throw UsageError(fmt::format("{} must be a string, got {}", key, toml_type_name(val)));
          if (key == "name") v.name = one("name", node_values(val));
          else if (key == "label") v.label = one("label", node_values(val));
          else if (key == "params") {
            auto pt = val.as_table();
            if (!pt) throw UsageError("params must be a table");
            for (auto& [pk, pv] : *pt) v.params[std::string(pk.str())] = one(std::string(pk.str()), node_values(pv));
          } else {
            throw UsageError(fmt::format("unknown key '{}' in [[strategy]] (expected name, label, params)", key));
          }
        } catch (const UsageError& e) {
          throw UsageError(fmt::format("{}: {}", where(val), e.what()));
        }
      }
      auto info = find_strategy(v.name);
      if (!info) throw UsageError(fmt::format("{}: unknown strategy '{}'", where(el), v.name));
      try {
        resolve_params(*info, v.params);
      } catch (const UsageError& e) {
        throw UsageError(fmt::format("{}: {}", where(el), e.what()));
      }
      if (v.label.empty()) v.label = v.name;
      if (!replaced) s.strategies.clear(), replaced = true;
      s.strategies.push_back(v);
    }
  }
  return s;
}

std::string scenarios_dir() {
  // Beside the binary's source tree, or installed beside the binary.
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  for (auto p : {exe.parent_path().parent_path() / "scenarios", exe.parent_path() / "scenarios"})
    if (!ec && fs::is_directory(p)) return p.string();
  return std::string(BB_SOURCE_DIR) + "/scenarios";
}

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(scenarios_dir(), ec))
    if (e.path().extension() == ".toml") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

Scenario load_preset(const std::string& name) {
  auto names = preset_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw UsageError(fmt::format("unknown preset '{}' (known: {})", name, fmt::join(names, ", ")));
  return load_scenario_file(scenarios_dir() + "/" + name + ".toml");
}

nlohmann::json to_json(const Scenario& s) {
  nlohmann::json strat = nlohmann::json::array();
  for (auto& v : s.strategies) strat.push_back({{"name", v.name}, {"label", v.label}, {"params", v.params}});
  return {{"name", s.name},
          {"description", s.description},
          {"workload", s.workload},
          {"database", s.database.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.database)},
          {"workload_file", s.workload_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.workload_file)},
          {"modes", s.modes},
          {"strategies", strat},
          {"db_mb", s.db_mb},
          {"writers", s.writers},
          {"filesystem", s.filesystems},
          {"sqlite", s.sqlite},
          {"readers", s.readers},
          {"rate", s.rate_auto ? nlohmann::json("auto") : nlohmann::json(s.rate)},
          {"utilisation", s.utilisation},
          {"probe_s", s.probe_s},
          {"reader_rate", s.reader_rate},
          {"reader_shape", s.reader_shape},
          {"repeat", s.repeat},
          {"seed", s.seed},
          {"page_size", s.page_size},
          {"synchronous", s.synchronous},
          {"wal_autocheckpoint", s.wal_autocheckpoint},
          {"busy_timeout_ms", s.busy_timeout_ms},
          {"busy_poll_ms", s.busy_poll_ms},
          {"template_cache", s.template_cache},
          {"warmup_s", s.warmup_s},
          {"baseline_s", s.baseline_s},
          {"backup_timeout_s", s.backup_timeout_s > 0 ? nlohmann::json(s.backup_timeout_s) : nlohmann::json("auto")},
          {"integrity_check", s.integrity_check},
          {"cooldown_s", s.cooldown_s},
          {"backups", s.backups},
          {"backup_interval_s", s.backup_interval_s},
          {"faults", s.faults},
          {"fault_at", s.fault_at},
          {"fault_delay_ms", s.fault_delay_ms},
          {"fault_pause_ms", s.fault_pause_ms},
          {"fault_write_limit_kb", s.fault_write_limit_kb}};
}

void check_scenario(const Scenario& s) {
  for (auto w : s.writers)
    if (w + s.readers > kMaxWorkers)
      throw UsageError(fmt::format("writers + readers: {} + {} processes exceed the limit of {}", w, s.readers,
                                   kMaxWorkers));
  for (size_t i = 0; i < s.strategies.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (s.strategies[i].label == s.strategies[j].label)
        throw UsageError(fmt::format("strategy label '{}' is used twice; give each variant its own label",
                                     s.strategies[i].label));
  const bool faulted = s.faults != std::vector<std::string>{"none"};
  if (faulted && s.backups > 1)
    throw UsageError("faults: a fault is injected into a trial of one backup; set backups = 1");
  for (auto& f : s.faults)
    if (const FaultKind* k = find_fault(f); k && k->aim == FaultAim::kReader && s.readers == 0)
      throw UsageError(fmt::format("faults: {} needs a reader (readers = 0)", f));
  const double cells = double(s.modes.size()) * double(s.strategies.size()) * double(s.faults.size()) *
                       double(s.db_mb.size()) * double(s.writers.size()) * double(s.filesystems.size()) *
                       double(s.sqlite.size()) * double(s.repeat);
  if (cells > kMaxCells)
    throw UsageError(fmt::format("the scenario expands to {:.0f} trials, more than the limit of {}", cells, kMaxCells));
}

double Scenario::utilisation_for(const std::string& mode) const {
  auto it = utilisation.find(mode);
  return it != utilisation.end() ? it->second : utilisation.at("*");
}

std::vector<Cell> expand(const Scenario& s) {
  std::vector<Cell> cells;
  for (auto& mode : s.modes)
    for (auto& st : s.strategies)
      for (auto& fault : s.faults)
        for (auto mb : s.db_mb)
          for (auto w : s.writers)
            for (auto& fsys : s.filesystems)
              for (auto& build : s.sqlite)
                for (int rep = 0; rep < s.repeat; ++rep) {
                  Cell c{int(cells.size()), mode, st, mb, w, fsys, build, rep, 0, fault};
                  // The seed depends on what the cell is, not on its position, so a
                  // shard or a reordered matrix runs each cell with the same seed
                  // (and cells of a run without the newer axes keep their seeds).
                  std::string id = fmt::format("{}|{}|{}|{}|{}|{}", s.seed, mode, st.label, mb, w, rep);
                  if (fault != "none") id += "|" + fault;
                  if (fsys != "host") id += "|fs=" + fsys;
                  if (build != "system") id += "|sqlite=" + build;
                  c.seed = fnv1a(id) >> 1;
                  cells.push_back(c);
                }
  return cells;
}

std::vector<Cell> shard(const std::vector<Cell>& cells, int k, int n) {
  std::vector<Cell> out;
  for (auto& c : cells)
    if (c.index % n == k) out.push_back(c);
  return out;
}

DatabaseSpec database_spec(const Scenario& s) {
  return {s.workload, s.database, s.page_size, s.seed, s.template_cache};
}

}  // namespace bb
