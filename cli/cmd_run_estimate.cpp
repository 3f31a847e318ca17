// The cost of a run before it starts: a model of a trial's phases, its speeds
// measured on this machine where possible (a cached template, an earlier run).
#include "cli/cmd_run_estimate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "databases/templates.h"
#include "driver/probe.h"
#include "databases/time_limit.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Fits time = fixed + mb * per_mb to (mb, seconds) points. With one size the
// split is unknowable: the per-MB cost stays as given (a measured copy speed
// or the default) and the fixed part is what the points leave over it.
PhaseCost fit(const std::vector<std::pair<double, double>>& pts, PhaseCost given) {
  if (pts.empty()) return given;
  std::set<double> sizes;
  for (auto& [mb, t] : pts) sizes.insert(mb);
  if (sizes.size() >= 2) {
    double n = double(pts.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (auto& [x, y] : pts) sx += x, sy += y, sxx += x * x, sxy += x * y;
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    if (slope > 0) {
      const double fixed = (sy - slope * sx) / n;
      return {std::max(0.0, fixed), slope};
    }
  }
  std::vector<double> rest;
  for (auto& [mb, t] : pts) rest.push_back(t - mb * given.s_per_mb);
  return {std::max(0.0, median(rest)), given.s_per_mb};
}

// MB to bytes, saturating: a fuzzed scenario may ask for absurd sizes.
int64_t mb_to_bytes(double mb) {
  const double b = mb * 1048576;
  return b >= 9.2e18 ? INT64_MAX : int64_t(b);
}

// The share of the cell's backups expected to run to their time limit.
double timeout_share(const Cell& c, const Speeds& sp) {
  auto it = sp.timeout_share.find(c.strategy.name + "/" + c.mode);
  return it != sp.timeout_share.end() ? it->second : 0;
}

// The backups phase of one cell: every scheduled backup, the last one's copy
// (or its time limit, for the share that ran to it before).
double backups_seconds(const Scenario& s, const Cell& c, const Speeds& sp) {
  auto it = sp.strategy.find(c.strategy.name);
  const double limit = backup_limit_s(s, c, sp), share = timeout_share(c, sp);
  const double copy = std::min((it != sp.strategy.end() ? it->second : sp.backup).at(double(c.db_mb)), limit);
  return double(std::max<int64_t>(s.backups, 1) - 1) * s.backup_interval_s + share * limit + (1 - share) * copy;
}

// The largest template of the scenario already in the cache, or "".
std::string largest_cached_template(const Scenario& s) {
  std::string best;
  int64_t best_mb = -1;
  const DatabaseSpec spec = database_spec(s);
  std::error_code ec;
  for (auto& mode : s.modes)
    for (auto mb : s.db_mb)
      if (mb > best_mb && fs::exists(template_path(spec, mode, mb), ec)) {
        best = template_path(spec, mode, mb);
        best_mb = mb;
      }
  return best;
}

// An earlier run's trials turned into the phases' fixed costs and, when it ran
// several sizes, their costs per MB.
void fit_from_run(const std::string& dir, Speeds& sp) {
  std::ifstream in(fs::path(dir) / "results.json");
  nlohmann::json r = nlohmann::json::parse(in, nullptr, false);
  if (!r.is_object() || !r.contains("trials") || !r["trials"].is_array()) return;
  const auto sc = r.value("scenario", nlohmann::json::object());
  const double planned = sc.value("warmup_s", 0.0) + sc.value("baseline_s", 0.0) + sc.value("cooldown_s", 0.0);
  std::vector<std::pair<double, double>> prepare, validate, fixed;
  std::map<std::string, std::vector<std::pair<double, double>>> backup;
  std::map<std::string, std::pair<int, int>> timeouts;  // "strategy/mode": (timed out, ran)
  std::vector<double> copy_speeds;
  for (auto& t : r["trials"]) {
    if (!t.contains("phases_s") || !t["phases_s"].is_object() || t.value("verdict", nlohmann::json::object())
                                                                         .value("status", "") == "SKIPPED")
      continue;
    if (t.contains("harness_error") && !t["harness_error"].is_null()) continue;
    const auto& p = t["phases_s"];
    const double mb = double(t.value("db_bytes", int64_t(0))) / 1e6;
    const double n_backups = double(std::max<size_t>(t.value("backups", nlohmann::json::array()).size(), 1));
    double total = 0;
    for (auto& [k, v] : p.items()) total += v.is_number() ? v.get<double>() : 0;
    const auto status = t.value("backup", nlohmann::json::object()).value("status", std::string("completed"));
    auto& [timed_out, ran] = timeouts[t.value("strategy", "") + "/" + t.value("mode", "")];
    ++ran;
    timed_out += status == "timeout";
    // The copy speed the run measured for its auto time limits (databases/time_limit.h).
    const auto speed = t.value("database", nlohmann::json::object()).value("copy_speed_mb_s", nlohmann::json());
    if (speed.is_number() && speed.get<double>() > 0) copy_speeds.push_back(speed.get<double>());
    prepare.push_back({mb, p.value("prepare", 0.0)});
    if (status == "completed") validate.push_back({mb, p.value("validate", 0.0) / n_backups});
    if (n_backups == 1 && status == "completed")
      backup[t.value("strategy", "")].push_back({mb, p.value("backups", 0.0)});
    fixed.push_back({0, total - p.value("prepare", 0.0) - p.value("validate", 0.0) - p.value("backups", 0.0) -
                            planned});
  }
  if (prepare.empty()) return;
  sp.prepare = fit(prepare, sp.prepare);
  sp.validate = fit(validate, sp.validate);
  for (auto& [name, pts] : backup) sp.strategy[name] = fit(pts, sp.backup);
  for (auto& [key, n] : timeouts)
    if (n.first > 0) sp.timeout_share[key] = double(n.first) / double(n.second);
  if (!copy_speeds.empty()) sp.copy_mb_s = median(copy_speeds);
  sp.trial_fixed_s = std::max(0.0, fit(fixed, {0, 0}).fixed_s);
  // Templates that run built: their populate time per MB.
  double pop_s = 0, pop_mb = 0;
  for (auto& e : r.value("population", nlohmann::json::object()).value("instances", nlohmann::json::array())) {
    if (e.value("from_cache", true)) continue;
    const std::string name = e.value("template", "");
    auto mb_at = name.find("MB-");
    auto dash = name.rfind('-', mb_at);
    if (mb_at == std::string::npos || dash == std::string::npos) continue;
    pop_s += e.value("populate_s", 0.0);
    pop_mb += std::atof(name.substr(dash + 1, mb_at - dash - 1).c_str());
  }
  if (pop_mb > 0 && pop_s > 0 && !sp.populate_from_cache) sp.populate_s_per_mb = pop_s / pop_mb;
  sp.sources.push_back(fmt::format("phases of {} trial(s) of the earlier run {}", prepare.size(), dir));
}

}  // namespace

double backup_limit_s(const Scenario& s, const Cell& c, const Speeds& sp) {
  if (s.backup_timeout_s > 0) return s.backup_timeout_s;
  const double copy_mb_s = sp.copy_mb_s > 0 ? sp.copy_mb_s : sp.prepare.s_per_mb > 0 ? 1 / sp.prepare.s_per_mb : 0;
  return auto_time_limit_s(mb_to_bytes(double(c.db_mb)), copy_mb_s);
}

double trial_seconds(const Scenario& s, const Cell& c, const Speeds& sp) {
  const double mb = double(c.db_mb);
  // A backup that ran to its limit left no snapshot to validate.
  const double snapshots = double(std::max<int64_t>(s.backups, 1)) * (1 - timeout_share(c, sp));
  return sp.prepare.at(mb) + sp.trial_fixed_s + s.warmup_s + s.baseline_s + backups_seconds(s, c, sp) +
         s.cooldown_s + snapshots * sp.validate.at(mb);
}

std::vector<ShardEstimate> estimate_shards(const Scenario& s, int n, const Speeds& sp, const EstimateInputs& in) {
  const auto all = expand(s);
  std::vector<ShardEstimate> out;
  const int64_t snapshots = s.backups > 1 ? s.backups : 0;
  for (int k = 0; k < n; ++k) {
    ShardEstimate e;
    e.k = k;
    std::set<std::pair<std::string, int64_t>> templates;
    std::set<std::string> probes;
    int64_t largest = 0;
    double kept = 0;
    for (auto& c : shard(all, k, n)) {
      ++e.trials;
      if (!in.skip(c).empty()) {
        e.trials_s += sp.skipped_s;
        continue;
      }
      e.trials_s += trial_seconds(s, c, sp);
      templates.insert({c.mode, c.db_mb});
      if (s.rate_auto && probes.insert(probe_key(c)).second)
        e.probes_s += s.probe_s + sp.probe_fixed_s + sp.prepare.at(double(c.db_mb));
      if (c.filesystem == "host") largest = std::max(largest, c.db_mb);
      if (in.keep_snapshots) kept += double(c.db_mb) * double(1 + std::max<int64_t>(s.backups, 1));
    }
    // A fresh machine (a CI runner) builds every template; this one only those not cached.
    for (auto& [mode, mb] : templates) {
      e.cache_bytes = mb_to_bytes(double(e.cache_bytes) / 1048576 + double(mb));
      if (!in.cached(mode, mb)) e.templates_s += double(mb) * sp.populate_s_per_mb;
    }
    // As the run's own free-space check counts it (driver/run_folder.cpp), and kept snapshots.
    e.run_bytes = mb_to_bytes(double(largest) * double(3 + snapshots) + 64 + kept);
    out.push_back(e);
  }
  return out;
}

Speeds measure_speeds(const Scenario& s, const std::string& earlier) {
  Speeds sp;
  // The per-MB cost of copying, measured on a cached template: preparing a
  // trial is such a copy; a backup and a validation read (and write) as much.
  if (const auto tmpl = largest_cached_template(s); !tmpl.empty()) {
    try {
      const double mb_s =
          copy_speed_mb_s("estimate", tmpl, fs::path(tmpl).parent_path().string(), int64_t(32) << 20);
      if (mb_s > 0) {
        sp.copy_mb_s = mb_s;
        sp.prepare.s_per_mb = 1 / mb_s;
        sp.backup.s_per_mb = 1.5 / mb_s;    // a backup reads through SQLite and writes a durable copy
        sp.validate.s_per_mb = 2.0 / mb_s;  // the integrity check and the invariants read it twice
        sp.sources.push_back(fmt::format("a copy of {} at {:.0f} MB/s", fs::path(tmpl).filename().string(), mb_s));
      }
    } catch (const std::exception&) {
      // No measurement: the defaults stand, and the printout says so.
    }
  }
  // Building a template: how long the scenario's cached ones took here.
  double built_s = 0, built_mb = 0;
  const DatabaseSpec spec = database_spec(s);
  for (auto& mode : s.modes)
    for (auto mb : s.db_mb)
      if (auto secs = template_build_seconds(template_path(spec, mode, mb))) built_s += *secs, built_mb += double(mb);
  if (built_s > 0 && built_mb > 0) {
    sp.populate_s_per_mb = built_s / built_mb;
    sp.populate_from_cache = true;
    sp.sources.push_back(fmt::format("templates built here at {:.0f} MB/s", built_mb / built_s));
  }
  std::error_code ec;
  if (!earlier.empty() && fs::is_regular_file(fs::path(earlier) / "results.json", ec)) {
    Speeds before = sp;
    try {
      fit_from_run(earlier, sp);
    } catch (const nlohmann::json::exception&) {
      // A results file of another shape (older, damaged): its speeds are not used.
      sp = before;
      sp.sources.push_back(fmt::format("not {} (its results.json could not be read)", earlier));
    }
  }
  return sp;
}

std::string duration_text(double seconds) {
  if (!(seconds < 1e8)) return "more than 3 years";  // also NaN: a fuzzed scenario's timings
  const auto t = int64_t(std::llround(std::max(seconds, 0.0)));
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

}  // namespace bb
