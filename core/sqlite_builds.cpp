// Finding (or building) the binary of each SQLite build a run uses.
#include "core/sqlite_builds.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "core/errors.h"
#include "core/process.h"
#include "core/sqlite_build.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// SQLITE_VERSION from an amalgamation's sqlite3.h; empty when absent.
std::string header_version(const std::string& dir) {
  std::ifstream in(dir + "/sqlite3.h");
  std::string line;
  static const std::regex re(R"(^#define SQLITE_VERSION\s+"([^"]+)\")");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) return m[1];
  return {};
}

nlohmann::json info_of(const std::string& exe) {
  Captured c = run_capture(exe, {"__sqlite-info"});
  auto j = nlohmann::json::parse(c.output, nullptr, false);
  if (!c.status.ok() || j.is_discarded())
    throw UsageError(fmt::format("{} does not describe its SQLite (__sqlite-info failed: {})", exe, c.output));
  return j;
}

}  // namespace

SqliteBuildRef resolve_sqlite_build(const std::string& label) {
  static std::map<std::string, SqliteBuildRef> memo;
  if (auto it = memo.find(label); it != memo.end()) return it->second;
  SqliteBuildRef r;
  r.label = label;
  const fs::path self = self_exe();
  if (label == "system") {
    r.exe = self.string();
    r.info = sqlite_build();
    return memo[label] = r;
  }
  // Second builds live beside the main binary: build/sqlite-<version>/.
  const fs::path build_dir = self.parent_path().filename().string().rfind("sqlite-", 0) == 0
                                 ? self.parent_path().parent_path()
                                 : self.parent_path();
  std::error_code ec;
  std::string version = label;
  if (fs::is_directory(label, ec)) {
    version = header_version(label);
    if (version.empty())
      throw UsageError(fmt::format("sqlite: {} is not an SQLite amalgamation (no SQLITE_VERSION in sqlite3.h)", label));
  }
  fs::path exe = build_dir / ("sqlite-" + version) / "backup-bench";
  if (!fs::exists(exe, ec)) {
    if (!fs::is_directory(label, ec))
      throw UsageError(fmt::format("sqlite: no build for SQLite {} ({} does not exist); name the amalgamation's "
                                   "folder instead, or build it: scripts/build-sqlite DIR",
                                   label, exe.string()));
    const std::string script = std::string(BB_SOURCE_DIR) + "/scripts/build-sqlite";
    fmt::print(stderr, "building backup-bench against SQLite {} from {} (once)...\n", version, label);
    Captured c = run_capture("/bin/bash", {script, fs::absolute(label).string(), build_dir.string()}, 1 << 20);
    if (!c.status.ok() || !fs::exists(exe, ec))
      throw UsageError(fmt::format("sqlite: could not build against {}: {}", label, c.output.substr(0, 2000)));
  }
  r.exe = exe.string();
  r.self = false;
  r.info = info_of(r.exe);
  return memo[label] = r;
}

}  // namespace bb
