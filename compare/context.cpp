// Whether two runs are like for like (their scenarios, machines and state), and
// which fields beyond mode/label/size/writers a run varies, so they join the
// cell key. Part of `compare` (compare/gate.cpp).
#include "compare/context.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

namespace bb {
namespace {

using json = nlohmann::json;

// Fields that become part of the cell key when a run varies them (a matrix
// axis): a trial's `axes` (filesystem, sqlite, fault) and these of its own. The SQLite version is what an
// upgrade gate compares across, so a run-wide difference in it is no warning.
const char* kOptionalAxes[] = {"filesystem", "sqlite", "fault", "workload", "reader_count", "reader_shape"};

}  // namespace

json axis_value(const json& t, const std::string& field) {
  // `axes` (written by run; a /1 file is given it when read) holds the cell's
  // filesystem, SQLite build and fault kind.
  if (t.contains("axes") && t["axes"].is_object() && t["axes"].contains(field)) return t["axes"][field];
  return t.contains(field) ? t[field] : json();
}

std::string axis_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string list_some(const std::vector<std::string>& v, size_t most) {
  std::vector<std::string> head(v.begin(), v.begin() + long(std::min(most, v.size())));
  std::string s = fmt::format("{}", fmt::join(head, ", "));
  if (v.size() > most) s += fmt::format(", ... ({} in all)", v.size());
  return s;
}

// Fields of the key beyond mode/label/size/writers: those a run varies.
std::vector<std::string> extra_axes(const json& base, const json& cur, std::vector<std::string>& warnings) {
  std::vector<std::string> candidates(std::begin(kOptionalAxes), std::end(kOptionalAxes));
  for (auto* r : {&base, &cur})
    for (auto& t : (*r)["trials"])
      if (t.contains("axes") && t["axes"].is_object())
        for (auto& [k, v] : t["axes"].items())
          if (std::find(candidates.begin(), candidates.end(), k) == candidates.end()) candidates.push_back(k);
  static const std::set<std::string> fixed{"mode", "label", "db_mb", "writer_count"};
  std::vector<std::string> out;
  for (auto& f : candidates) {
    if (fixed.count(f)) continue;
    std::set<std::string> values[2];
    for (int side = 0; side < 2; ++side)
      for (auto& t : (side ? cur : base)["trials"]) values[side].insert(axis_value(t, f).dump());
    if (values[0].size() > 1 || values[1].size() > 1)
      out.push_back(f);
    else if (values[0] != values[1] && f != "sqlite")
      warnings.push_back(fmt::format("the runs differ in {}: {} vs {} (compared as like for like)", f,
                                     *values[0].begin(), *values[1].begin()));
  }
  return out;
}

void scenario_warnings(const json& base, const json& cur, std::vector<std::string>& w) {
  auto sa = base.contains("scenario") && base["scenario"].is_object() ? base["scenario"] : json::object();
  auto sb = cur.contains("scenario") && cur["scenario"].is_object() ? cur["scenario"] : json::object();
  // The seed differs between two honest runs of one scenario; names are names.
  // The user's database and workload file are compared by content
  // (data_warnings), not by path.
  static const std::set<std::string> ignore{"name", "description", "seed", "database", "workload_file"};
  std::set<std::string> keys;
  for (auto& [k, v] : sa.items()) keys.insert(k);
  for (auto& [k, v] : sb.items()) keys.insert(k);
  for (auto& k : keys) {
    if (ignore.count(k)) continue;
    json a = sa.contains(k) ? sa[k] : json(), b = sb.contains(k) ? sb[k] : json();
    if (a == b) continue;
    if (k == "workload" && a.is_string() && b.is_string() && a.get<std::string>().rfind("file:", 0) == 0 &&
        b.get<std::string>().rfind("file:", 0) == 0)
      continue;
    if (k == "strategies" && a.is_array() && b.is_array()) {
      std::vector<std::string> la, lb, only_a, only_b, params;
      for (auto& s : a) la.push_back(s.value("label", "?"));
      for (auto& s : b) lb.push_back(s.value("label", "?"));
      for (auto& l : la)
        if (std::find(lb.begin(), lb.end(), l) == lb.end()) only_a.push_back(l);
      for (auto& l : lb)
        if (std::find(la.begin(), la.end(), l) == la.end()) only_b.push_back(l);
      for (auto& s : a)
        for (auto& s2 : b)
          if (s.value("label", "?") == s2.value("label", "!") && s != s2) params.push_back(s.value("label", "?"));
      std::string what;
      if (!only_a.empty()) what += fmt::format("only in the baseline: {}", fmt::join(only_a, ", "));
      if (!only_b.empty()) what += fmt::format("{}only in the current run: {}", what.empty() ? "" : "; ", fmt::join(only_b, ", "));
      if (!params.empty()) what += fmt::format("{}other parameters: {}", what.empty() ? "" : "; ", fmt::join(params, ", "));
      if (what.empty()) what = "in their order";
      w.push_back(fmt::format("the strategies differ ({})", what));
      continue;
    }
    static const std::map<std::string, std::string> names{
        {"modes", "journal modes"}, {"db_mb", "database sizes (db_mb)"}, {"writers", "writer counts"},
        {"repeat", "repetition counts (repeat)"}};
    auto it = names.find(k);
    w.push_back(fmt::format("the {} differ: {} vs {}", it != names.end() ? it->second : "scenario's " + k, a.dump(),
                            b.dump()));
  }
}

void data_warnings(const json& base, const json& cur, std::vector<std::string>& w) {
  auto field = [](const json& r, const char* k) { return r.contains(k) ? r[k] : json(); };
  // The user's database by what it is (name, size, identity), not where it was.
  auto db = [&](const json& r) {
    json d = field(r, "database");
    return d.is_object() ? json{{"file", d.value("file", "")}, {"bytes", d.value("bytes", 0)},
                                {"identity", d.value("identity", "")}}
                         : json();
  };
  auto text = [](const json& d) {
    return d.is_null() ? std::string("a database of the workload's own")
                       : fmt::format("{} ({} bytes, identity {})", d["file"].get<std::string>(), d["bytes"].dump(),
                                     d["identity"].get<std::string>());
  };
  if (db(base) != db(cur))
    w.push_back(fmt::format("the runs are on different databases: {} vs {}", text(db(base)), text(db(cur))));
  auto wf = [&](const json& r) {
    json f = field(r, "workload_file");
    return f.is_object() ? fmt::format("{} (hash {})", f.value("name", "?"), f.value("hash", "?")) : std::string();
  };
  if (wf(base) != wf(cur))
    w.push_back(fmt::format("the runs use different workload files: {} vs {}", wf(base).empty() ? "none" : wf(base),
                            wf(cur).empty() ? "none" : wf(cur)));
}

void host_warnings(const json& base, const json& cur, std::vector<std::string>& w) {
  auto ha = base.contains("host") && base["host"].is_object() ? base["host"] : json::object();
  auto hb = cur.contains("host") && cur["host"].is_object() ? cur["host"] : json::object();
  // The SQLite version is left to the cells (an upgrade gate compares across it).
  for (auto* k : {"cpu", "cores", "kernel", "build_type", "optimised", "sanitizers", "filesystem"}) {
    json a = ha.contains(k) ? ha[k] : json(), b = hb.contains(k) ? hb[k] : json();
    if (a != b) w.push_back(fmt::format("the machines differ in {}: {} vs {}", k, a.dump(), b.dump()));
  }
}

void shard_host_warnings(const char* side, const json& run, std::vector<std::string>& w) {
  if (!run.contains("host_differences") || !run["host_differences"].is_array()) return;
  for (auto& d : run["host_differences"]) {
    std::vector<std::string> vs;
    for (auto& v : d["values"]) vs.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    w.push_back(fmt::format("the {} run's shards ran on hosts that differ in {}: {}", side,
                            d["field"].get<std::string>(), fmt::join(vs, " vs ")));
  }
}

void run_warnings(const char* side, const json& r, int harness_trials, std::vector<std::string>& w) {
  if (r.contains("interrupted") && r["interrupted"] == true)
    w.push_back(fmt::format("the {} run was interrupted: it holds {} trials{}", side, r["trials"].size(),
                            r.contains("cells_total") && r["cells_total"].is_number()
                                ? fmt::format(" of {}", r["cells_total"].dump())
                                : ""));
  if (harness_trials > 0)
    w.push_back(fmt::format("the {} run has {} trial(s) that failed in the harness (left out)", side,
                            harness_trials));
}

}  // namespace bb
