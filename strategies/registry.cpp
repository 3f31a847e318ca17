// The strategy registry and parameter handling shared by every strategy.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "core/errors.h"
#include "strategies/strategy.h"

namespace bb {

// Contract order (docs/contract.md), so `list` and reports read like the table there.
static int contract_rank(const std::string& n) {
  static const std::vector<std::string> order{"online",      "vacuum-into",    "exclusive-copy", "raw-copy",
                                              "wal-snapshot-copy", "cli-backup", "fs-snapshot",
                                              "btrfs-snapshot", "reflink-copy", "incremental",
                                              "python-backup", "litestream"};
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

std::string skip_reason_for(const StrategyInfo& s, const std::string& mode, bool in_trial, const std::string& src,
                            const std::string& dest) {
  if (auto why = s.skip_reason(mode, in_trial); !why.empty()) return why;
  auto folder = [](const std::string& p) {
    auto dir = std::filesystem::path(p).parent_path();
    return dir.empty() ? std::string(".") : dir.string();
  };
  return s.fs_skip_reason(folder(src), folder(dest));
}

const StrategyInfo* find_strategy(const std::string& name) {
  for (auto& s : registry())
    if (s.name == name) return &s;
  return nullptr;
}

nlohmann::json strategies_json() {
  nlohmann::json out = nlohmann::json::array();
  for (auto& s : registry()) {
    nlohmann::json params = nlohmann::json::array();
    for (auto& p : s.params)
      params.push_back({{"name", p.name}, {"default", p.default_value}, {"help", p.help}, {"choices", p.choices}});
    out.push_back({{"name", s.name},
                   {"description", s.description},
                   {"safety_note", s.safety_note},
                   {"needs", s.needs},
                   {"continuous", bool(s.companion)},
                   {"impact_representative", s.impact_representative},
                   {"params", params}});
  }
  return out;
}

static bool parse_int(const std::string& v, int64_t& out) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() && !v.empty();
}

static std::string range_text(const StrategyParam& p) {
  std::string r = fmt::format("{}..{}", p.min, p.max);
  for (auto s : p.special) r += fmt::format(" or {}", s);
  return r;
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
      bool special = std::find(it->special.begin(), it->special.end(), n) != it->special.end();
      if (!special && (n < it->min || n > it->max))
        throw UsageError(fmt::format("bad value {} for {}.{}: expected {}", n, s.name, k, range_text(*it)));
    }
    out[k] = v;
  }
  return out;
}

}  // namespace bb
