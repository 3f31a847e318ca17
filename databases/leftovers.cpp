// Finding and removing what dead runs left behind.
#include "databases/leftovers.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/files.h"
#include "core/process.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// The pid after ".partial-" in a temporary's name; 0 when there is none.
int partial_pid(const std::string& name) {
  const auto at = name.find(".partial-");
  if (at == std::string::npos) return 0;
  int pid = 0;
  const char* b = name.data() + at + 9;
  auto r = std::from_chars(b, name.data() + name.size(), pid);
  return r.ec == std::errc() ? pid : 0;
}

// Whether `dir` is a run folder whose run is gone: its lock is free.
bool abandoned(const fs::path& dir) {
  const std::string lock = (dir / ".run.lock").string();
  int fd = open(lock.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool free = flock(fd, LOCK_EX | LOCK_NB) == 0;
  close(fd);  // releases it
  return free;
}

// The trial folders a run recorded (their series lives in them).
std::set<std::string> recorded_trials(const fs::path& dir, bool& complete) {
  std::set<std::string> out;
  std::ifstream in(dir / "results.json");
  auto j = nlohmann::json::parse(in, nullptr, false);
  complete = j.is_object() && !j.value("partial", false) && j.contains("summary");
  if (!j.is_object()) return out;
  for (auto& t : j.value("trials", nlohmann::json::array()))
    if (t.is_object() && t.contains("series") && t["series"].is_string())
      out.insert(fs::path(t["series"].get<std::string>()).parent_path().filename().string());
  return out;
}

// What a trial that was cut short leaves: the database and snapshots with
// their sidecars, worker samples, temporaries, validation's private copy.
bool trial_debris(const std::string& name) {
  return name.rfind("db.sqlite", 0) == 0 || name.rfind("snapshot", 0) == 0 || name.rfind("worker", 0) == 0 ||
         name == ".db.sqlite-litestream" || name == "replica" ||  // a continuous strategy's (driver/companion.h)
         name.rfind("bb-validate-", 0) == 0 || partial_pid(name) != 0;
}

}  // namespace

std::vector<std::string> clean_dead_runs(const std::string& out) {
  std::vector<std::string> lines;
  std::error_code ec;
  const fs::path parent = fs::absolute(out, ec).parent_path();
  for (auto& run : fs::directory_iterator(parent, ec)) {
    if (!run.is_directory(ec) || fs::equivalent(run.path(), fs::absolute(out, ec), ec)) continue;
    if (!fs::exists(run.path() / ".run.lock") || !fs::is_directory(run.path() / "trials") || !abandoned(run.path()))
      continue;
    bool complete = false;
    const auto recorded = recorded_trials(run.path(), complete);
    int64_t freed = 0;
    int files = 0;
    for (auto& trial : fs::directory_iterator(run.path() / "trials", ec)) {
      const bool cut_short = !recorded.count(trial.path().filename().string()) && !complete;
      for (auto& f : fs::directory_iterator(trial.path(), ec)) {
        const std::string name = f.path().filename().string();
        const bool debris = cut_short ? trial_debris(name) : process_gone(partial_pid(name));
        if (!debris) continue;
        const int64_t size = file_size_or_zero(f.path().string());
        if (fs::remove_all(f.path(), ec) > 0) freed += size, ++files;  // a folder: validation's private copy
      }
    }
    if (files)
      lines.push_back(fmt::format("removed {} file(s), {:.1f} MB, left by a killed run in {}", files,
                                  double(freed) / 1e6, run.path().string()));
  }
  return lines;
}

std::vector<std::string> clean_dead_templates(const std::string& cache_dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(cache_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!process_gone(partial_pid(name))) continue;
    if (fs::remove(e.path(), ec)) lines.push_back("removed a template a killed run was building: " + e.path().string());
  }
  return lines;
}

}  // namespace bb
