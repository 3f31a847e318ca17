// results.json, trials.csv and the summary table.
#include "results/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "core/files.h"

namespace bb {
namespace {

// A summary figure's median, or null.
std::optional<double> med(const nlohmann::json& row, const char* name) {
  auto& f = row["figures"][name];
  return f["median"].is_number() ? std::optional<double>(f["median"].get<double>()) : std::nullopt;
}

std::string num(std::optional<double> v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : std::string("n/a");
}

// A pooled p99 with its n, or the maximum when p99 is withheld ("max 41.2/5").
// With no sample: "faulted" (an injected fault's trials give no writer
// figures), "none due" (steady trials, but no commit was due), else "n/a".
std::string p99(const nlohmann::json& row, const char* window) {
  const auto& p = row[window];
  if (p["n"].get<int64_t>() == 0)
    return row["fault"] != "none" ? "faulted" : row["steady"].get<int>() > 0 ? "none due" : "n/a";
  if (p["p99_ms"].is_number()) return fmt::format("{:.1f}/{}", p["p99_ms"].get<double>(), p["n"].get<int64_t>());
  return fmt::format("max {:.1f}/{}", p["max_ms"].get<double>(), p["n"].get<int64_t>());
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = with_suffix(path, ".tmp");
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "create " + tmp);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int err = errno;
      close(fd);
      unlink(tmp.c_str());
      throw std::system_error(err, std::generic_category(), "write " + tmp);
    }
    p += w;
    left -= size_t(w);
  }
  if (fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    throw std::system_error(err, std::generic_category(), "fsync " + tmp);
  }
  close(fd);
  std::filesystem::rename(tmp, path);
}

std::string trials_csv(const nlohmann::json& trials) {
  std::vector<std::pair<std::string, std::string>> cols{
      {"mode", "/mode"}, {"strategy", "/strategy"}, {"label", "/label"}, {"repetition", "/repetition"},
      {"seed", "/seed"}, {"db_mb", "/db_mb"}, {"db_bytes", "/db_bytes"}, {"writers", "/writer_count"},
      {"readers", "/reader_count"}, {"rate", "/rate"}, {"reader_rate", "/reader_rate"},
      {"filesystem", "/filesystem"}, {"sqlite", "/sqlite"}, {"sqlite_version", "/sqlite_build/version"},
      {"expected_safe", "/expected_safe"}, {"harness_error", "/harness_error"},
      {"load_steady", "/load/steady"}, {"load_reason", "/load/reason"},
      {"backup_status", "/backup/status"}, {"backup_failure", "/backup/failure"}, {"backup_error", "/backup/error"},
      {"backup_duration_s", "/backup/duration_s"}, {"backup_read_s", "/backup/read_s"},
      {"backup_bytes", "/backup/bytes"}, {"backup_mb_per_s", "/backup/mb_per_s"}, {"backup_steps", "/backup/steps"},
      {"backup_restarts", "/backup/restarts"}, {"backup_busy_retries", "/backup/busy_retries"}};
  for (auto w : {"baseline", "during"})
    for (auto m : {"commits", "commits_per_s", "n", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "busy_errors"})
      cols.push_back({fmt::format("writers_{}_{}", w, m), fmt::format("/writers/{}/{}", w, m)});
  for (auto m : {"max_stall_ms", "max_writer_gap_ms", "delayed_commits", "delayed_extra_ms", "recovery_ms"})
    cols.push_back({m, fmt::format("/writers/{}", m)});
  for (auto w : {"baseline", "during"})
    for (auto m : {"queries_per_s", "n", "p99_ms", "max_ms"})
      cols.push_back({fmt::format("readers_{}_{}", w, m), fmt::format("/readers/{}/{}", w, m)});
  cols.insert(cols.end(), {{"wal_peak_bytes", "/wal_peak_bytes"}, {"wal_growth_bytes", "/wal_growth_bytes"},
                           {"verdict", "/verdict/status"},
                           {"snapshot_seq", "/verdict/snapshot_seq"},
                           {"committed_before_start", "/verdict/committed_before_start"},
                           {"committed_before_end", "/verdict/committed_before_end"},
                           {"detail", "/verdict/detail"},
                           // Faulted trials (docs/faults.md); empty without a fault.
                           {"fault", "/fault/kind"}, {"fault_injected", "/fault/injected"},
                           {"outcome_ok", "/outcome_check/ok"}, {"source_ok", "/source_check/ok"},
                           {"source_detail", "/source_check/detail"}});
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i].first;
  out += "\n";
  for (auto& t : trials) {
    for (size_t i = 0; i < cols.size(); ++i) {
      auto p = nlohmann::json::json_pointer(cols[i].second);
      std::string cell;
      if (t.contains(p)) {
        auto& v = t[p];
        cell = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
      }
      if (cell.find_first_of(",\"\n\r") != std::string::npos) {
        std::string q = "\"";
        for (char ch : cell) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        cell = q + "\"";
      }
      out += (i ? "," : "") + cell;
    }
    out += "\n";
  }
  return out;
}

void write_results(const std::string& dir, const nlohmann::json& results) {
  write_file_atomic(dir + "/results.json", results.dump(2) + "\n");
  write_file_atomic(dir + "/trials.csv", trials_csv(results["trials"]));
}

std::string summary_table(const nlohmann::json& results) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "\nbackup-bench  SQLite {}  scenario {}\n", results["sqlite_version"].get<std::string>(),
             results["scenario"]["name"].get<std::string>());
  const auto& rows = results["summary"];
  size_t width = 24;
  for (auto& r : rows) width = std::max(width, r["name"].get<std::string>().size());
  fmt::format_to(std::back_inserter(out), "{:<7} {:<{}} {:>7} {:>9} {:>8} {:>14} {:>14} {:>9} {:>13} {:>9}  {}\n", "mode", "strategy", width,
             "steady", "backup_s", "MB/s", "base_p99/n", "during_p99/n", "stall_ms", "gap/floor_ms", "wal_peak",
             "verdicts");
  for (auto& r : rows) {
    std::string verdicts;
    for (auto& [k, v] : r["verdicts"].items())
      verdicts += fmt::format("{}{}={}", verdicts.empty() ? "" : " ", k, v.get<int>());
    const int counted = r["trials"].get<int>() - r["skipped"].get<int>();
    auto wal = med(r, "wal_peak_bytes");
    // A writer's longest own gap beside the gap its schedule allows (one period).
    auto gap = med(r, "max_writer_gap_ms");
    auto rate = med(r, "rate");
    std::string gap_text = !gap ? "n/a" : rate && *rate > 0 ? fmt::format("{:.0f}/{:.0f}", *gap, 1000 / *rate)
                                                            : fmt::format("{:.0f}", *gap);
    fmt::format_to(std::back_inserter(out), "{:<7} {:<{}} {:>7} {:>9} {:>8} {:>14} {:>14} {:>9} {:>13} {:>9}  {}\n",
               r["mode"].get<std::string>(), r["name"].get<std::string>(), width,
               fmt::format("{}/{}", r["steady"].get<int>(), counted), num(med(r, "backup_duration_s"), 3),
               num(med(r, "backup_mb_per_s"), 1), p99(r, "writers_baseline"), p99(r, "writers_during"),
               num(med(r, "max_stall_ms"), 1), gap_text,
               wal ? fmt::format("{:.1f}M", *wal / 1e6) : std::string("n/a"), verdicts);
  }
  fmt::format_to(std::back_inserter(out),
             "steady: trials whose load was steady before the backup (only they give writer figures, unless a fault "
             "was injected: \"faulted\"). p99/n: pooled "
             "over the steady repetitions, n samples (\"max\" when n < 100). stall: no writer committed. gap/floor: "
             "a writer's longest gap between its own commits / the gap its schedule allows. Medians elsewhere; "
             "see docs/measuring-impact.md\n");
  return fmt::to_string(out);
}

}  // namespace bb
