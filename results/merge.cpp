// Loading and merging the shards of one run, checking every file before use.
#include "results/merge.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "core/errors.h"
#include "strategies/strategy.h"
#include "validation/validator.h"
#include "results/files.h"
#include "results/schema.h"
#include "results/shard_set.h"
#include "results/summary.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// The results file a path names: the path itself, or results.json in a folder.
// Its type is checked with stat() before anything opens it: opening a FIFO for
// reading would wait for a writer forever.
fs::path results_file(const std::string& path) {
  struct stat st {};
  if (path.empty()) throw UsageError("an empty path was given as a run");
  if (stat(path.c_str(), &st) != 0) throw UsageError(fmt::format("{} does not exist", path));
  fs::path p(path);
  if (S_ISDIR(st.st_mode)) {
    p /= "results.json";
    if (stat(p.c_str(), &st) != 0)
      throw UsageError(fmt::format("{} holds no results.json (not a run folder)", path));
  }
  if (!S_ISREG(st.st_mode))
    throw UsageError(fmt::format("{} is {}, not a results file", p.string(), file_kind(st.st_mode)));
  return p;
}

std::string read_whole(const fs::path& p) {
  // O_NONBLOCK: should the file have been swapped for a FIFO since stat(), the
  // open returns at once, and fstat() below refuses it.
  int fd = open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw UsageError(fmt::format("{} cannot be read: {}", p.string(), std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    throw UsageError(fmt::format("{} is {}, not a results file", p.string(), file_kind(st.st_mode)));
  }
  std::string text;
  char buf[1 << 16];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      throw UsageError(fmt::format("{} cannot be read: {}", p.string(), std::strerror(e)));
    }
    if (n == 0) break;
    text.append(buf, size_t(n));
  }
  close(fd);
  return text;
}

const char* type_of(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "not a JSON value";
  }
}

enum class Want { kString, kNumber, kBool, kObject, kStringOrNull, kNonEmptyArray };

bool has(const nlohmann::json& j, Want w) {
  switch (w) {
    case Want::kString: return j.is_string();
    case Want::kNumber: return j.is_number();
    case Want::kBool: return j.is_boolean();
    case Want::kObject: return j.is_object();
    case Want::kStringOrNull: return j.is_string() || j.is_null();
    case Want::kNonEmptyArray: return j.is_array() && !j.empty();
  }
  return false;
}

const char* name_of(Want w) {
  switch (w) {
    case Want::kString: return "a string";
    case Want::kNumber: return "a number";
    case Want::kBool: return "a boolean";
    case Want::kObject: return "an object";
    case Want::kStringOrNull: return "a string or null";
    case Want::kNonEmptyArray: return "a list of at least one";
  }
  return "?";
}

// The fields every reader of a trial relies on (summary, compare, report): a
// trial without them, or with another type, is refused rather than guessed at.
struct Field {
  const char* ptr;
  Want want;
};
const Field kTrialFields[] = {
    {"/mode", Want::kString},          {"/label", Want::kString},
    {"/strategy", Want::kString},      {"/db_mb", Want::kNumber},
    {"/writer_count", Want::kNumber},  {"/repetition", Want::kNumber},
    {"/expected_safe", Want::kBool},   {"/harness_error", Want::kStringOrNull},
    {"/backup", Want::kObject},        {"/backup/status", Want::kString},
    {"/verdict", Want::kObject},       {"/verdict/status", Want::kString},
    {"/load", Want::kObject},          {"/load/steady", Want::kBool},
    {"/load/reason", Want::kString},   {"/writers", Want::kObject},
    {"/series", Want::kStringOrNull},  {"/backups", Want::kNonEmptyArray},
    {"/backups/0/backup/status", Want::kString}, {"/backups/0/verdict/status", Want::kString},
    {"/row", Want::kString},           {"/impact_counts", Want::kBool},
    {"/axes", Want::kObject},
};
// The names of an enum's values, from its one string table (the JSON mapping).
template <typename E>
std::set<std::string> names_of(std::initializer_list<E> values) {
  std::set<std::string> out;
  for (E v : values) out.insert(nlohmann::json(v).get<std::string>());
  return out;
}
const std::set<std::string> kVerdicts = names_of({VerdictStatus::kOk, VerdictStatus::kCorrupt,
                                                  VerdictStatus::kInconsistent, VerdictStatus::kStale,
                                                  VerdictStatus::kFailed, VerdictStatus::kSkipped});
const std::set<std::string> kBackupStatuses = names_of({BackupStatus::kCompleted, BackupStatus::kFailed,
                                                        BackupStatus::kTimeout, BackupStatus::kSkipped});

bool flag(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

std::string dotted(const char* ptr) {
  std::string s(ptr + 1);
  std::replace(s.begin(), s.end(), '/', '.');
  return s;
}

void check_trial(const std::string& file, size_t i, const nlohmann::json& t) {
  if (!t.is_object()) throw UsageError(fmt::format("{}: trials[{}] is {}, not an object", file, i, type_of(t)));
  auto where = [&] {
    if (t.contains("mode") && t["mode"].is_string() && t.contains("label") && t["label"].is_string())
      return fmt::format("{}: trials[{}] ({}/{})", file, i, t["mode"].get<std::string>(),
                         t["label"].get<std::string>());
    return fmt::format("{}: trials[{}]", file, i);
  };
  for (auto& f : kTrialFields) {
    auto p = nlohmann::json::json_pointer(f.ptr);
    // A parent of the wrong type was reported by its own entry before this one.
    if (!t.contains(p)) {
      bool old = std::string(f.ptr).rfind("/load", 0) == 0 || std::string(f.ptr) == "/harness_error" ||
                 std::string(f.ptr) == "/backups";
      throw UsageError(fmt::format("{}: '{}' is missing{}", where(), dotted(f.ptr),
                                   old ? " (results from an older backup-bench? run it again)" : ""));
    }
    if (!has(t[p], f.want))
      throw UsageError(fmt::format("{}: '{}' is {}, expected {}", where(), dotted(f.ptr), type_of(t[p]),
                                   name_of(f.want)));
  }
  auto v = t["verdict"]["status"].get<std::string>();
  if (!kVerdicts.count(v)) throw UsageError(fmt::format("{}: verdict '{}' is not a known verdict", where(), v));
  auto b = t["backup"]["status"].get<std::string>();
  if (!kBackupStatuses.count(b))
    throw UsageError(fmt::format("{}: backup status '{}' is not a known status", where(), b));
}

// The trial's series.json, found from the folder of the file that lists it: a
// relative path is joined to that folder; an absolute one from elsewhere (a run
// folder that moved) is tried by its tails below it.
std::string resolve_series(const fs::path& folder, const std::string& series) {
  fs::path s(series);
  std::error_code ec;
  if (s.is_relative()) return (folder / s).lexically_normal().string();
  if (fs::exists(s, ec)) return series;
  std::vector<fs::path> parts(s.begin(), s.end());
  for (size_t i = 1; i < parts.size(); ++i) {
    fs::path tail;
    for (size_t j = i; j < parts.size(); ++j) tail /= parts[j];
    if (tail.is_relative() && fs::exists(folder / tail, ec)) return (folder / tail).string();
  }
  return series;
}

// One results file, checked: JSON, a backup-bench schema, trials of the right
// shape, at least one trial.
nlohmann::json load_checked(const std::string& path, fs::path* file_out) {
  fs::path file = results_file(path);
  std::string text = read_whole(file);
  const std::string name = file.string();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw UsageError(fmt::format("{} is empty (a run that never finished writing?)", name));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    bool truncated = e.byte >= text.size();
    throw UsageError(fmt::format("{} is not valid JSON ({} at byte {})", name,
                                 truncated ? "it ends early: truncated" : "damaged", e.byte));
  }
  if (!j.is_object())
    throw UsageError(fmt::format("{} is {}, not a backup-bench results object", name, type_of(j)));
  if (!j.contains("schema") || !j["schema"].is_string() ||
      j["schema"].get<std::string>().rfind("backup-bench/", 0) != 0)
    throw UsageError(fmt::format("{} is not a backup-bench results file (no \"schema\": \"backup-bench/...\")", name));
  if (j["schema"] != kResultsSchema && j["schema"] != kResultsSchemaV1)
    throw UsageError(fmt::format("{} is a {} results file; this backup-bench reads {} and {}: run the scenario again "
                                 "with this version (backup-bench run ... --out DIR)",
                                 name, j["schema"].get<std::string>(), kResultsSchemaV1, kResultsSchema));
  if (!j.contains("trials")) throw UsageError(fmt::format("{}: 'trials' is missing", name));
  if (!j["trials"].is_array())
    throw UsageError(fmt::format("{}: 'trials' is {}, expected an array", name, type_of(j["trials"])));
  if (j["trials"].empty())
    throw UsageError(fmt::format("{} holds no trials{}", name,
                                 flag(j, "interrupted") ? " (the run was interrupted before its first trial)"
                                                               : " (an empty or interrupted run)"));
  for (auto* key : {"scenario", "host"})
    if (j.contains(key) && !j[key].is_object())
      throw UsageError(fmt::format("{}: '{}' is {}, expected an object", name, key, type_of(j[key])));
  upgrade_v1(j);  // the previous version is read as this one
  for (size_t i = 0; i < j["trials"].size(); ++i) check_trial(name, i, j["trials"][i]);
  *file_out = file;
  return j;
}

std::pair<int64_t, int64_t> shard_of(const std::string& name, const nlohmann::json& r) {
  if (!r.contains("shard")) return {0, 1};
  auto& s = r["shard"];
  if (!s.is_object() || !s.contains("k") || !s.contains("n") || !s["k"].is_number_integer() ||
      !s["n"].is_number_integer())
    throw UsageError(fmt::format("{}: 'shard' is not {{\"k\": K, \"n\": N}}", name));
  return {s["k"].get<int64_t>(), s["n"].get<int64_t>()};
}

}  // namespace

std::vector<std::string> split_paths(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string one = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? list.size() + 1 : comma + 1;
    if (!one.empty()) out.push_back(one);
  }
  return out;
}

nlohmann::json merge_runs(const std::vector<std::string>& paths, const MergeOptions& opt) {
  if (paths.empty()) throw UsageError("no run folder or results file given");
  nlohmann::json merged;
  std::map<int64_t, std::string> shard_files;  // k -> file
  std::set<std::string> seen;
  int64_t n_shards = 0;
  std::string first_name;
  std::vector<nlohmann::json> heads;  // each run's context, for the checks on the set
  std::vector<std::string> names;
  for (auto& path : paths) {
    fs::path file;
    nlohmann::json r = load_checked(path, &file);
    const std::string name = file.string();
    std::error_code ec;
    auto canon = fs::weakly_canonical(file, ec).string();
    if (!seen.insert(ec ? name : canon).second) throw UsageError(fmt::format("{} is given twice", name));
    auto [k, n] = shard_of(name, r);
    heads.push_back({{"tool", r.value("tool", nlohmann::json())}, {"host", r.value("host", nlohmann::json())},
                     {"sqlite_version", r.value("sqlite_version", nlohmann::json())}, {"shard", {{"k", k}, {"n", n}}}});
    names.push_back(name);
    fs::path folder = fs::absolute(file, ec).parent_path();
    for (auto& t : r["trials"])
      if (t["series"].is_string()) t["series"] = resolve_series(folder, t["series"].get<std::string>());
    const bool interrupted = flag(r, "interrupted");
    if (merged.is_null()) {
      merged = std::move(r);
      merged["interrupted"] = interrupted;
      n_shards = n;
      first_name = name;
      shard_files[k] = name;
      merged["sources"] = {name};
      continue;
    }
    // Shards of one run share the scenario and the shard count, each its own k.
    auto scen_a = merged.value("scenario", nlohmann::json::object());
    auto scen_b = r.value("scenario", nlohmann::json::object());
    if (scen_a != scen_b) {
      std::string field = "?";
      for (auto& [key, v] : scen_a.items())
        if (!scen_b.contains(key) || scen_b[key] != v) {
          field = key;
          break;
        }
      if (field == "?")
        for (auto& [key, v] : scen_b.items())
          if (!scen_a.contains(key)) field = key;
      throw UsageError(fmt::format("{} and {} are not shards of one run (their scenarios differ in '{}')",
                                   first_name, name, field));
    }
    // Shards of one run ran on the same data (run --database / --workload-file).
    for (auto* key : {"database", "workload_file"})
      if (merged.value(key, nlohmann::json()) != r.value(key, nlohmann::json()))
        throw UsageError(fmt::format("{} and {} are not shards of one run (their '{}' differ)", first_name, name, key));
    if (n != n_shards)
      throw UsageError(fmt::format("{} is shard {}/{} but {} is of {} shards: not one run", name, k, n, first_name,
                                   n_shards));
    if (shard_files.count(k))
      throw UsageError(fmt::format("{} and {} are both shard {}/{} (the same shard twice?)", shard_files[k], name,
                                   k, n));
    shard_files[k] = name;
    merged["sources"].push_back(name);
    for (auto& t : r["trials"]) merged["trials"].push_back(std::move(t));
    if (interrupted) merged["interrupted"] = true;
  }
  check_shard_set(heads, names, opt.complete || paths.size() > 1);
  merged["hosts"] = hosts_of(heads);
  merged["host_differences"] = host_differences(merged["hosts"]);
  nlohmann::json ks = nlohmann::json::array();
  for (auto& [k, f] : shard_files) ks.push_back(k);
  merged["shard"] = {{"k", ks}, {"n", n_shards}};
  if (opt.summary)
    merged["summary"] = summarize(merged["trials"], [](const nlohmann::json& t) {
      return t["series"].is_string() ? t["series"].get<std::string>() : std::string();
    });
  else
    merged.erase("summary");
  return merged;
}

void write_merged(const std::string& out, nlohmann::json merged) {
  std::error_code ec;
  fs::path folder = fs::absolute(fs::path(out), ec).parent_path();
  if (!fs::is_directory(folder, ec)) throw UsageError(fmt::format("the folder of {} does not exist", out));
  for (auto& t : merged["trials"])
    if (t["series"].is_string()) {
      fs::path s(t["series"].get<std::string>());
      auto rel = fs::relative(s, folder, ec);
      if (!ec && !rel.empty()) t["series"] = rel.string();
    }
  try {
    write_file_atomic(out, merged.dump(1) + "\n");
  } catch (const std::system_error& e) {
    throw UsageError(fmt::format("cannot write {}: {}", out, e.what()));
  }
}

}  // namespace bb
