// results.json's top level, written and read in one place.
#include "results/run_record.h"

namespace bb {

void to_json(nlohmann::json& j, const RunRecord& r) {
  j = {{"schema", r.schema},
       {"verdicts", r.verdicts},
       {"tool", r.tool},
       {"sqlite_version", r.sqlite_version},
       {"started_at", r.started_at},
       {"command_line", r.command_line},
       {"host", r.host},
       {"scenario", r.scenario},
       {"database", r.database},
       {"workload_file", r.workload_file},
       {"strategies", r.strategies},
       {"sqlite_builds", r.sqlite_builds},
       {"shard", {{"k", r.shard_k}, {"n", r.shard_n}}},
       {"job", {{"engine", r.shard_engine}, {"vars", r.shard_job}}},
       {"cells_total", r.cells_total},
       {"probes", r.probes},
       {"rates_from", r.rates_from ? nlohmann::json(*r.rates_from) : nlohmann::json(nullptr)},
       {"trials", r.trials}};
  if (!r.finished()) {
    j["partial"] = true;  // complete trials so far, no summary yet
    return;
  }
  j["summary"] = *r.summary;
  j["population"] = r.population ? *r.population : nlohmann::json::object();
  j["interrupted"] = r.interrupted;
  j["stopped_disk_full"] = r.stopped_disk_full;
  j["finished_at"] = r.finished_at;
}

void from_json(const nlohmann::json& j, RunRecord& r) {
  r.schema = j.at("schema").get<std::string>();
  r.verdicts = j.at("verdicts");
  r.tool = j.value("tool", nlohmann::json::object());
  r.sqlite_version = j.at("sqlite_version").get<std::string>();
  r.started_at = j.at("started_at").get<std::string>();
  r.finished_at = j.value("finished_at", "");
  r.command_line = j.value("command_line", "");
  r.host = j.at("host");
  r.scenario = j.at("scenario");
  r.database = j.value("database", nlohmann::json());
  r.workload_file = j.value("workload_file", nlohmann::json());
  r.strategies = j.value("strategies", nlohmann::json::object());
  r.sqlite_builds = j.value("sqlite_builds", nlohmann::json::object());
  const auto shard = j.value("shard", nlohmann::json{{"k", 0}, {"n", 1}});
  r.shard_k = shard.at("k").get<int64_t>();
  r.shard_n = shard.at("n").get<int64_t>();
  const auto job = j.value("job", nlohmann::json::object());
  r.shard_engine = job.value("engine", "none");
  r.shard_job = job.value("vars", nlohmann::json::object());
  r.cells_total = j.value("cells_total", int64_t(0));
  r.probes = j.value("probes", nlohmann::json::array());
  if (auto it = j.find("rates_from"); it != j.end() && it->is_string()) r.rates_from = it->get<std::string>();
  r.trials = j.at("trials");
  if (!j.value("partial", false) && j.contains("summary")) {
    r.summary = j.at("summary");
    r.population = j.value("population", nlohmann::json::object());
  }
  r.interrupted = j.value("interrupted", false);
  r.stopped_disk_full = j.value("stopped_disk_full", false);
}

}  // namespace bb
