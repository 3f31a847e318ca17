// Writing a trial's series and reading its window latencies back.
#include "driver/series.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/files.h"

namespace bb {
namespace {

int64_t us(int64_t ns) { return ns / 1000; }

nlohmann::json ops_json(int64_t t0, const std::vector<Sample>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& s : v) out.push_back({us(s.end - t0), us(s.end - s.intended), us(s.end - s.start), s.worker});
  return out;
}

}  // namespace

void write_series(const std::string& path, int64_t t0, const std::vector<Sample>& writers,
                  const std::vector<Sample>& readers, const std::vector<SizeSample>& sizes, const SeriesWindows& w) {
  nlohmann::json sz = nlohmann::json::array();
  for (auto& s : sizes) sz.push_back({us(s.t - t0), s.wal, s.db});
  auto win = [&](const Window& x) { return nlohmann::json::array({us(x.begin - t0), us(x.end - t0)}); };
  nlohmann::json impacts = nlohmann::json::array(), snapshots = nlohmann::json::array();
  for (auto& x : w.impacts) impacts.push_back(win(x));
  for (auto& x : w.snapshots) snapshots.push_back(win(x));
  nlohmann::json j{{"columns", {{"commits", {"t_us", "response_us", "service_us", "worker"}},
                                {"queries", {"t_us", "response_us", "service_us", "worker"}},
                                {"sizes", {"t_us", "wal_bytes", "db_bytes"}}}},
                   {"windows_us", {{"baseline", win(w.baseline)}, {"impacts", impacts}, {"snapshots", snapshots}}},
                   {"commits", ops_json(t0, writers)},
                   {"queries", ops_json(t0, readers)},
                   {"sizes", sz}};
  const std::string tmp = with_suffix(path, ".tmp");
  {
    std::ofstream f(tmp);
    f << j.dump();
    if (!f.flush()) throw std::system_error(errno, std::generic_category(), "write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

WindowLatencies read_window_latencies(const std::string& path, bool* ok) {
  WindowLatencies out;
  if (ok) *ok = false;
  std::ifstream in(path);
  if (!in) return out;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("windows_us")) return out;
  try {
    auto window = [](const nlohmann::json& a) { return Window{a[0].get<int64_t>(), a[1].get<int64_t>()}; };
    const Window b = window(j["windows_us"]["baseline"]);
    std::vector<Window> impacts;
    for (auto& a : j["windows_us"]["impacts"]) impacts.push_back(window(a));
    auto take = [&](const char* key, std::vector<int64_t>& base, std::vector<int64_t>& during) {
      for (auto& c : j[key]) {
        const int64_t end = c[0].get<int64_t>(), resp = c[1].get<int64_t>();
        const Sample s{0, end - resp, end - c[2].get<int64_t>(), end, 0, 1};  // µs, same rule as member()
        if (member(s, b)) base.push_back(resp * 1000);
        for (auto& d : impacts)
          if (member(s, d)) during.push_back(resp * 1000);
      }
    };
    take("commits", out.writers_baseline, out.writers_during);
    take("queries", out.readers_baseline, out.readers_during);
  } catch (const nlohmann::json::exception&) {
    return WindowLatencies{};
  }
  if (ok) *ok = true;
  return out;
}

}  // namespace bb
