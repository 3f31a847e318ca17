// The strategy registry and parameter handling shared by every strategy.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

#include "harness/errors.h"
#include "strategies/strategy.h"

namespace bb {

// Contract order (product.md), so `list` reads like the table there.
static int contract_rank(const std::string& n) {
  static const std::vector<std::string> order{"online",      "vacuum-into", "exclusive-copy", "raw-copy",
                                              "wal-snapshot-copy", "cli-backup", "fs-snapshot"};
  auto it = std::find(order.begin(), order.end(), n);
  return int(it - order.begin());
}

static std::vector<StrategyInfo>& registry() {
  static std::vector<StrategyInfo> r;
  return r;
}

bool register_strategy(StrategyInfo info) {
  auto& r = registry();
  r.push_back(std::move(info));
  std::stable_sort(r.begin(), r.end(), [](auto& a, auto& b) {
    int ra = contract_rank(a.name), rb = contract_rank(b.name);
    return ra != rb ? ra < rb : a.name < b.name;
  });
  return true;
}

const std::vector<StrategyInfo>& strategies() { return registry(); }

const StrategyInfo* find_strategy(const std::string& name) {
  for (auto& s : registry())
    if (s.name == name) return &s;
  return nullptr;
}

static bool parse_int(const std::string& v, int64_t& out) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() && !v.empty();
}

Params resolve_params(const StrategyInfo& s, const Params& given) {
  Params out;
  for (auto& p : s.params) out[p.name] = p.default_value;
  for (auto& [k, v] : given) {
    auto it = std::find_if(s.params.begin(), s.params.end(), [&](auto& p) { return p.name == k; });
    if (it == s.params.end()) {
      std::vector<std::string> names;
      for (auto& p : s.params) names.push_back(p.name);
      throw UsageError(fmt::format("strategy '{}' has no parameter '{}' (it takes: {})", s.name, k,
                                   names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
    }
    if (!it->choices.empty()) {
      if (std::find(it->choices.begin(), it->choices.end(), v) == it->choices.end())
        throw UsageError(fmt::format("bad value '{}' for {}.{}: expected one of {}", v, s.name, k,
                                     fmt::join(it->choices, "|")));
    } else {
      int64_t n;
      if (!parse_int(v, n)) throw UsageError(fmt::format("bad value '{}' for {}.{}: expected an integer", v, s.name, k));
    }
    out[k] = v;
  }
  return out;
}

int64_t param_int(const Params& p, const std::string& key) {
  int64_t n = 0;
  auto it = p.find(key);
  if (it == p.end() || !parse_int(it->second, n)) throw UsageError(fmt::format("parameter {} is not an integer", key));
  return n;
}

bool param_bool(const Params& p, const std::string& key) {
  auto it = p.find(key);
  return it != p.end() && it->second == "true";
}

nlohmann::json to_json(const BackupOutcome& o) {
  double mb = double(o.bytes) / 1e6;
  return {{"status", o.status},
          {"error", o.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.error)},
          {"duration_s", o.duration_s},
          {"bytes", o.bytes},
          {"mb_per_s", o.duration_s > 0 && o.status == "completed" ? mb / o.duration_s : 0.0},
          {"steps", o.steps},
          {"restarts", o.restarts},
          {"busy_retries", o.busy_retries},
          {"extra", o.extra}};
}

}  // namespace bb
