// `python-backup`: the call most applications make, through Python's standard
// library: a /usr/bin/python3 process runs
// `sqlite3.connect(src).backup(sqlite3.connect(TMP), pages=..., sleep=...)`, then
// the runner renames TMP over DEST. Its defaults are the library's (pages=-1,
// sleep=0.25 s); it sleeps only when a step finds the source busy, never between
// steps (unlike online's sleep_ms). Python links its own SQLite, whose version it
// reports beside Python's.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "core/process.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// Counts steps, restarts (the copy's position did not advance) and busy steps
// through the progress callback, which the library calls after every step.
constexpr const char* kScript = R"PY(
import json, sqlite3, sys
src_path, dest_path, pages, sleep = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
count = {"steps": 0, "restarts": 0, "busy": 0}
prev = [-1]
def progress(status, remaining, total):
    if status in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED: the library sleeps, then retries
        count["busy"] += 1
        return
    pos = total - remaining
    if prev[0] >= 0 and pos <= prev[0] and remaining > 0:
        count["restarts"] += 1
    prev[0] = pos
    count["steps"] += 1
src = sqlite3.connect(src_path)
dest = sqlite3.connect(dest_path)
src.backup(dest, pages=pages, progress=progress, sleep=sleep)
dest.close()
src.close()
count["python"] = sys.version.split()[0]
count["sqlite"] = sqlite3.sqlite_version
print(json.dumps(count))
)PY";

bool have_python() { return access(kPython, X_OK) == 0; }

void run_python_backup(BackupJob& job) {
  // An idle connection of our own, held across the Python process: its close
  // is then never the last one, which would checkpoint a WAL source and delete
  // its -wal; ours closes without a checkpoint (source_db.h).
  // In a rollback mode there is no -wal to keep, and reading now could meet a
  // writer's lock: the connection only has to exist.
  SourceDb keep(job);
  if (job.mode == "wal") {
    keep.busy_timeout(5000);
    keep.query_int("SELECT count(*) FROM sqlite_schema");  // joins the WAL (a shared lock on the file)
  }
  const int64_t pages = job.param_int("pages"), sleep_ms = job.param_int("sleep_ms");
  job.reading();  // the interpreter's start is in the window: it is part of the call
  Captured c = run_capture(kPython, {"-c", kScript, job.src, job.tmp(), std::to_string(pages),
                                     fmt::format("{:g}", double(sleep_ms) / 1000)});
  job.read_done();
  // The outcome is the last line that is a JSON object; anything else is Python's error.
  std::string last;
  for (size_t pos = 0; pos < c.output.size();) {
    size_t nl = c.output.find('\n', pos);
    std::string line = c.output.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? c.output.size() : nl + 1;
    if (!line.empty()) last = line;
  }
  if (!c.status.ok()) {
    const bool full = last.find("database or disk is full") != std::string::npos;
    const bool busy = last.find("database is locked") != std::string::npos;
    throw BackupFailure(full ? FailureKind::kDiskFull : busy ? FailureKind::kLocked : FailureKind::kInternal,
                        fmt::format("python3 {}: {}", how_it_ended(c.status), last.empty() ? "no output" : last));
  }
  auto j = nlohmann::json::parse(last, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw BackupFailure(FailureKind::kInternal, "python3 gave no outcome: " + last);
  for (int64_t i = 0; i < j.value("steps", int64_t(0)); ++i) job.step(0);
  for (int64_t i = 0; i < j.value("restarts", int64_t(0)); ++i) job.restart();
  for (int64_t i = 0; i < j.value("busy", int64_t(0)); ++i) job.busy_retry();
  job.extra["python"] = kPython;
  job.extra["python_version"] = j.value("python", "");
  job.extra["python_sqlite_version"] = j.value("sqlite", "");
}

const bool registered = register_strategy({
    .name = "python-backup",
    .description = "Python's standard library in a python3 process: sqlite3.connect(SRC).backup(sqlite3.connect(TMP), "
                   "pages=..., sleep=...)",
    .params = {{"pages", "-1", "pages copied per step (-1 = all in one step; the library's default)", {}, 1, 1 << 30,
                {-1}},
               {"sleep_ms", "250", "the library's sleep= when a step finds the source busy, in milliseconds (its "
                                   "default 0.25 s)", {}, 0, 60'000}},
    .skip_reason = [](const std::string&, bool) { return have_python() ? std::string() : "no " + std::string(kPython); },
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode (stepped: may restart or time out under load)",
    .needs = "/usr/bin/python3 (its own SQLite)",
    .run = run_python_backup,
});

}  // namespace
}  // namespace bb
