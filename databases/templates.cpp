// The template cache: populate once, copy per trial.
#include "databases/templates.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/files.h"
#include "core/context.h"
#include "databases/populate.h"
#include "databases/user_database.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// Bump when population changes in a way the key does not show.
constexpr int kTemplateFormat = 1;

std::string template_name(const DatabaseSpec& s, const std::string& mode, int64_t db_mb) {
  // The user's data: its identity is the key (its size and page size are its own).
  if (const std::string key = user_data_key(s); !key.empty())
    return fmt::format("v{}-{}-p{}-{}-s{}-sqlite{}.sqlite", kTemplateFormat, key,
                       s.database.empty() ? s.page_size : 0, mode, s.seed, sqlite_version());
  return fmt::format("v{}-{}-{}MB-p{}-{}-s{}-sqlite{}.sqlite", kTemplateFormat, s.workload, db_mb, s.page_size, mode,
                     s.seed, sqlite_version());
}

nlohmann::json& log() {
  static nlohmann::json l = nlohmann::json::array();
  return l;
}

}  // namespace

const nlohmann::json& population_log() { return log(); }

namespace {

// The build time beside the template, for run --check's estimate. Best effort:
// a cache that takes no note still caches.
void note_build_seconds(const std::string& tmpl, double seconds) {
  const std::string part = fmt::format("{}.built.partial-{}", tmpl, getpid());
  std::error_code ec;
  {
    std::ofstream out(part);
    out << fmt::format("{:.3f}\n", seconds);
    if (!out) return (void)fs::remove(part, ec);
  }
  fs::rename(part, tmpl + ".built", ec);
  if (ec) fs::remove(part, ec);
}

}  // namespace

std::optional<double> template_build_seconds(const std::string& path) {
  std::ifstream in(path + ".built");
  double s = 0;
  if (in >> s && s > 0) return s;
  return std::nullopt;
}

std::string template_path(const DatabaseSpec& s, const std::string& mode, int64_t db_mb) {
  return template_cache_dir() + "/" + template_name(s, mode, db_mb);
}

std::string template_cache_dir() {
  if (const char* d = std::getenv("BB_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/backup-bench/templates";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/backup-bench/templates";
  return "/tmp/backup-bench-templates";
}

Instantiated instantiate_database(const std::string& path, const DatabaseSpec& s, const std::string& mode,
                                  int64_t db_mb) {
  Instantiated r;
  remove_db_files(path);
  const uint64_t seed = uint64_t(s.seed);
  if (!s.template_cache) {
    const int64_t t = now_ns();
    create_database(path, s, mode, db_mb, seed);
    r.populate_s = ns_to_s(now_ns() - t);
    r.method = "populated";
    return r;
  }
  const std::string dir = template_cache_dir();
  fs::create_directories(dir);
  const std::string tmpl = dir + "/" + template_name(s, mode, db_mb);
  r.from_cache = fs::exists(tmpl);
  if (!r.from_cache) {
    // Built under a private name and renamed: a concurrent run or a kill never
    // leaves a half-built template under the real name.
    const std::string part = fmt::format("{}.partial-{}", tmpl, getpid());
    const int64_t t = now_ns();
    try {
      create_database(part, s, mode, db_mb, seed);
      fsync_path(part);
      fs::rename(part, tmpl);
    } catch (...) {
      remove_db_files(part);
      throw;
    }
    r.populate_s = ns_to_s(now_ns() - t);
    note_build_seconds(tmpl, r.populate_s);
  }
  const int64_t t = now_ns();
  r.method = clone_or_copy(tmpl, path);
  r.copy_s = ns_to_s(now_ns() - t);
  // A copy leaves its pages dirty in the page cache. Written back during the
  // trial, they would compete with the writers' fsyncs: a 4 GB copy gave a
  // writer 257-576 ms gaps in the baseline, and the load was unsteady. So the
  // copy is flushed here, before any load starts (a reflink clone has little
  // to flush).
  const int64_t f = now_ns();
  fsync_path(path);
  r.flush_s = ns_to_s(now_ns() - f);
  log().push_back({{"template", std::filesystem::path(tmpl).filename().string()},
                   {"from_cache", r.from_cache},
                   {"populate_s", r.populate_s},
                   {"copy_s", r.copy_s},
                   {"flush_s", r.flush_s},
                   {"method", r.method}});
  return r;
}

int clear_template_cache() {
  int n = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(template_cache_dir(), ec))
    if (e.path().extension() == ".built") fs::remove(e.path(), ec);  // a build note: not a template
    else if (e.path().extension() == ".sqlite" || e.path().string().find(".partial-") != std::string::npos)
      n += fs::remove(e.path(), ec) ? 1 : 0;
  return n;
}

}  // namespace bb
