// The derived values of results.json, computed once, here, and written into
// the file; and reading a file of the previous version.
#include "results/schema.h"

#include <fmt/format.h>

#include "strategies/strategy.h"
#include "validation/validator.h"

namespace bb {

nlohmann::json verdict_table() {
  nlohmann::json out = nlohmann::json::array();
  for (auto v : {VerdictStatus::kOk, VerdictStatus::kCorrupt, VerdictStatus::kInconsistent, VerdictStatus::kStale,
                 VerdictStatus::kFailed, VerdictStatus::kSkipped})
    out.push_back({{"status", v},
                   {"wrong_snapshot", wrong_snapshot(v)},
                   {"snapshot", v != VerdictStatus::kFailed && v != VerdictStatus::kSkipped}});
  return out;
}

std::string row_key(const std::string& mode, const std::string& label, int64_t db_mb, int64_t writers,
                    const std::string& filesystem, const std::string& sqlite, const std::string& fault) {
  return fmt::format("{}/{}@{}MB/w{}/{}/{}{}", mode, label, db_mb, writers, filesystem, sqlite,
                     fault == "none" ? "" : "+" + fault);
}

std::string row_key(const Cell& c) {
  return row_key(c.mode, c.strategy.label, c.db_mb, c.writers, c.filesystem, c.sqlite, c.fault);
}

namespace {

// The injected fault's kind ("none" without one): a trial's `fault` is an
// object, a summary row's the kind itself.
std::string fault_kind(const nlohmann::json& r) {
  auto it = r.find("fault");
  if (it == r.end() || it->is_null()) return "none";
  if (it->is_string()) return it->get<std::string>();
  return it->is_object() && it->contains("kind") && (*it)["kind"].is_string() ? (*it)["kind"].get<std::string>()
                                                                             : "none";
}

}  // namespace

std::string row_key(const nlohmann::json& r) {
  // Tolerant of wrong types: a file's types are checked by its reader after this.
  auto text = [&](const char* k, const char* otherwise) {
    return r.contains(k) && r[k].is_string() ? r[k].get<std::string>() : std::string(otherwise);
  };
  auto number = [&](const char* k) { return r.contains(k) && r[k].is_number() ? r[k].get<int64_t>() : int64_t(0); };
  return row_key(text("mode", "?"), text("label", "?"), number("db_mb"), number("writer_count"),
                 text("filesystem", "host"), text("sqlite", "system"), fault_kind(r));
}

nlohmann::json cell_axes(const Cell& c) {
  return {{"filesystem", c.filesystem}, {"sqlite", c.sqlite}, {"fault", c.fault}};
}

void name_rows(nlohmann::json& rows) {
  auto varies = [&](const char* k) {
    for (auto& x : rows)
      if (x.value(k, nlohmann::json()) != rows[0].value(k, nlohmann::json())) return true;
    return false;
  };
  const bool sizes = varies("db_mb"), writers = varies("writer_count"), filesystems = varies("filesystem"),
             builds = varies("sqlite");
  for (auto& r : rows) {
    nlohmann::json parts = nlohmann::json::array();
    auto part = [&](const char* dimension, const std::string& text) {
      parts.push_back(nlohmann::json::array({dimension, text}));
    };
    part("label", r["label"].get<std::string>());
    if (const std::string f = fault_kind(r); f != "none") part("fault", "+" + f);
    if (sizes) part("db_mb", fmt::format(" {}MB", r["db_mb"].get<int64_t>()));
    if (writers) part("writer_count", fmt::format(" w{}", r["writer_count"].get<int64_t>()));
    const std::string fs = r.value("filesystem", "host"), sq = r.value("sqlite", "system");
    if (filesystems || fs != "host") part("filesystem", " " + fs);
    if (builds || sq != "system") {
      auto v = r.value("sqlite_version", nlohmann::json());
      part("sqlite", " sqlite-" + (v.is_string() ? v.get<std::string>() : sq));
    }
    std::string name;
    for (auto& p : parts) name += p[1].get<std::string>();
    r["name"] = name;
    r["name_parts"] = parts;
  }
}

namespace {

// The previous version's rule for whether a trial's writer figures describe a
// backup (TrialResult::impact_counts() is this version's).
bool impact_counts_v1(const nlohmann::json& t) {
  const bool faulted = t.contains("fault") && t["fault"].is_object();
  return t.value("harness_error", nlohmann::json()).is_null() && t["backup"].value("status", "") != "skipped" &&
         !faulted && t["load"].value("steady", false) == true;
}

}  // namespace

void upgrade_v1(nlohmann::json& r) {
  if (r.value("schema", "") != kResultsSchemaV1 || !r.contains("trials") || !r["trials"].is_array()) return;
  for (auto& t : r["trials"]) {
    if (!t.is_object()) continue;  // refused by the checks that follow
    if (!t.contains("row")) t["row"] = row_key(t);
    if (!t.contains("impact_counts") && t.contains("backup") && t["backup"].is_object() && t.contains("load") &&
        t["load"].is_object())
      t["impact_counts"] = impact_counts_v1(t);
    if (!t.contains("axes"))
      t["axes"] = {{"filesystem", t.contains("filesystem") ? t["filesystem"] : nlohmann::json("host")},
                   {"sqlite", t.contains("sqlite") ? t["sqlite"] : nlohmann::json("system")},
                   {"fault", fault_kind(t)}};
  }
  if (r.contains("strategies") && r["strategies"].is_array())
    for (auto& s : r["strategies"])
      if (s.is_object() && !s.contains("impact_representative")) {
        const StrategyInfo* info = find_strategy(s.value("name", ""));
        s["impact_representative"] = info ? info->impact_representative : true;
      }
  if (r.contains("summary") && r["summary"].is_array() && !r["summary"].empty()) {
    for (auto& row : r["summary"]) {
      if (!row.contains("fault")) row["fault"] = "none";
      row["key"] = row_key(row);
    }
    name_rows(r["summary"]);
  }
  r["verdicts"] = verdict_table();
  r["upgraded_from"] = kResultsSchemaV1;
  r["schema"] = kResultsSchema;
}

}  // namespace bb
