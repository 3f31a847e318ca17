// Finding the shard run folders below a folder, checking they make one whole
// run, and naming the hosts they ran on.
#include "results/shard_set.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "core/errors.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using json = nlohmann::json;

// shard-2 before shard-10: runs are listed (and their trials merged) in the
// order a person numbering them meant.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit((unsigned char)a[i]) && std::isdigit((unsigned char)b[j])) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit((unsigned char)a[i2])) ++i2;
      while (j2 < b.size() && std::isdigit((unsigned char)b[j2])) ++j2;
      auto na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2, j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// Run folders below `dir`: a folder holding results.json is a run (not looked
// into further); symlinks are skipped (runs/latest names a run listed anyway).
std::vector<std::string> runs_below(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    if (fs::exists(it->path() / "results.json", ec)) {
      out.push_back(it->path().string());
      it.disable_recursion_pending();
    }
  }
  std::sort(out.begin(), out.end(), natural_less);
  return out;
}

json field(const json& r, const char* obj, const char* key) {
  if (!r.contains(obj) || !r[obj].is_object() || !r[obj].contains(key)) return json();
  return r[obj][key];
}

std::pair<int64_t, int64_t> shard_of(const json& r) {
  if (!r.contains("shard") || !r["shard"].is_object()) return {0, 1};
  return {r["shard"].value("k", int64_t(0)), r["shard"].value("n", int64_t(1))};
}

// The build of backup-bench a run came from: what makes two shards' figures
// one program's.
std::string build_of(const json& r) {
  std::vector<std::string> parts;
  for (auto* k : {"version", "commit"}) {
    auto v = field(r, "tool", k);
    if (v.is_string() && !v.get<std::string>().empty()) parts.push_back(fmt::format("{} {}", k, v.get<std::string>()));
  }
  for (auto* k : {"build_type", "sanitizers"}) {
    auto v = field(r, "host", k);
    if (!v.is_null()) parts.push_back(fmt::format("{} {}", k, v.is_string() ? v.get<std::string>() : v.dump()));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::vector<std::string> find_runs(const std::vector<std::string>& given, bool* from_folder) {
  std::vector<std::string> out;
  bool expanded = false;
  for (auto& g : given) {
    std::error_code ec;
    // A file, or a folder holding results.json, is one run; anything odd is
    // left for the merge to name.
    if (!fs::is_directory(g, ec) || fs::exists(fs::path(g) / "results.json", ec)) {
      out.push_back(g);
      continue;
    }
    auto found = runs_below(g);
    if (found.empty())
      throw UsageError(fmt::format("{} holds no results.json and no run folders below it (not a run folder)", g));
    expanded = true;
    out.insert(out.end(), found.begin(), found.end());
  }
  if (from_folder) *from_folder = expanded;
  return out;
}

void check_shard_set(const std::vector<json>& runs, const std::vector<std::string>& names, bool must_be_complete) {
  if (runs.empty()) return;
  const std::string build = build_of(runs[0]);
  for (size_t i = 1; i < runs.size(); ++i)
    if (build_of(runs[i]) != build)
      throw UsageError(fmt::format("{} and {} are not shards of one run: built differently ({} vs {})", names[0],
                                   names[i], build, build_of(runs[i])));
  if (!must_be_complete) return;
  const int64_t n = shard_of(runs[0]).second;
  std::set<int64_t> ks;
  std::vector<std::string> given;
  for (size_t i = 0; i < runs.size(); ++i) {
    auto [k, nn] = shard_of(runs[i]);
    ks.insert(k);
    given.push_back(fmt::format("{} ({}/{})", names[i], k, nn));
  }
  std::vector<std::string> missing;
  for (int64_t k = 0; k < n; ++k)
    if (!ks.count(k)) missing.push_back(fmt::format("{}/{}", k, n));
  if (!missing.empty())
    throw UsageError(fmt::format("shard{} {} of the run {} missing (given: {})", missing.size() > 1 ? "s" : "",
                                 fmt::join(missing, ", "), missing.size() > 1 ? "are" : "is",
                                 fmt::join(given, ", ")));
}

json hosts_of(const std::vector<json>& runs) {
  json hosts = json::array();
  for (auto& r : runs) {
    json h = json::object();
    for (auto* k : {"hostname", "cpu", "cores", "kernel", "filesystem", "sqlite_version"}) h[k] = field(r, "host", k);
    // The linked SQLite is in the host block; older files have it at the top only.
    if (h["sqlite_version"].is_null() && r.contains("sqlite_version")) h["sqlite_version"] = r["sqlite_version"];
    const int64_t k = shard_of(r).first;
    auto same = std::find_if(hosts.begin(), hosts.end(), [&](const json& x) {
      json a = x;
      a.erase("shards");
      return a == h;
    });
    if (same != hosts.end()) {
      (*same)["shards"].push_back(k);
    } else {
      h["shards"] = json::array({k});
      hosts.push_back(h);
    }
  }
  return hosts;
}

json host_differences(const json& hosts) {
  json out = json::array();
  for (auto* f : kHostFields) {
    json values = json::array();
    for (auto& h : hosts) {
      json v = h.contains(f) ? h[f] : json();
      if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
    }
    if (values.size() > 1) out.push_back({{"field", f}, {"values", values}});
  }
  return out;
}

std::string hosts_text(const json& hosts) {
  std::vector<std::string> parts;
  for (auto& h : hosts) {
    std::vector<std::string> ks;
    for (auto& k : h["shards"]) ks.push_back(k.dump());
    auto name = h["hostname"].is_string() ? h["hostname"].get<std::string>() : std::string("?");
    parts.push_back(fmt::format("{} (shard{} {})", name, ks.size() > 1 ? "s" : "", fmt::join(ks, ", ")));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string differences_text(const json& differences) {
  std::vector<std::string> parts;
  for (auto& d : differences) {
    std::vector<std::string> vs;
    for (auto& v : d["values"]) vs.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    parts.push_back(fmt::format("{}: {}", d["field"].get<std::string>(), fmt::join(vs, " vs ")));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace bb
