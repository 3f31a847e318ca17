// The user's database: refusals, a consistent copy, a description.
#include "databases/user_database.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/clock.h"
#include "core/errors.h"
#include "core/files.h"
#include "core/sqlite_db.h"
#include "databases/populate.h"
#include "databases/templates.h"
#include "workloads/file_workload.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// How long another process may hold FILE locked before it is refused: long
// enough for an application's ordinary transaction, short enough to say so.
constexpr int64_t kLockWaitNs = 2'000'000'000;
// SQLite's lock bytes (os_unix.c): PENDING, RESERVED and the SHARED range of the
// database file; the WAL write, checkpoint and recovery locks in the -shm.
constexpr off_t kPendingByte = 0x40000000, kLockRange = 512;
constexpr off_t kShmWriteLock = 120, kShmWriterLocks = 3;

// Whether another process holds a write lock on [start, start+len) of `path`.
bool write_locked(const std::string& path, off_t start, off_t len) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl {};
  fl.l_type = F_RDLCK;  // a read lock conflicts only with a write lock: a writer's
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  const bool locked = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  close(fd);  // this process holds no lock on FILE, so closing drops nothing
  return locked;
}

// A writer is in the middle of a transaction on FILE (rollback: RESERVED and
// beyond; WAL: the -shm's writer locks).
bool busy_writing(const std::string& src) {
  return write_locked(src, kPendingByte, kLockRange) ||
         (fs::exists(with_suffix(src, "-shm")) && write_locked(with_suffix(src, "-shm"), kShmWriteLock, kShmWriterLocks));
}

struct FileStamp {
  int64_t size = -1, mtime_ns = 0, ino = 0, dev = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  return {int64_t(st.st_size), int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, int64_t(st.st_ino),
          int64_t(st.st_dev)};
}

// The first bytes of FILE, read with a plain descriptor.
std::string head_of(const std::string& path, size_t n) {
  std::string buf(n, '\0');
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UsageError(fmt::format("--database {}: cannot be read: {}", path, strerror(errno)));
  const ssize_t got = pread(fd, buf.data(), n, 0);
  close(fd);
  buf.resize(got > 0 ? size_t(got) : 0);
  return buf;
}

// Refuses what is not a plain SQLite database, before anything is copied.
void check_header(const std::string& src) {
  std::error_code ec;
  if (!fs::exists(src, ec)) throw UsageError(fmt::format("--database {}: no such file", src));
  if (!fs::is_regular_file(src, ec)) throw UsageError(fmt::format("--database {}: not a regular file", src));
  const std::string h = head_of(src, 4096);
  static const std::string kMagic("SQLite format 3\0", 16);
  if (h.size() >= kMagic.size() && h.compare(0, kMagic.size(), kMagic) == 0) return;
  if (h.empty()) throw UsageError(fmt::format("--database {}: empty file, not an SQLite database", src));
  // An encrypted database (SQLCipher, SEE) has no plain header: its bytes look
  // random. Random bytes use nearly all 256 values in 1 KiB; text and other
  // formats use far fewer.
  std::set<unsigned char> seen(h.begin(), h.begin() + long(std::min<size_t>(h.size(), 1024)));
  if (h.size() >= 1024 && seen.size() > 200)
    throw UsageError(fmt::format("--database {}: looks encrypted (no SQLite header, random-looking bytes); "
                                 "backup-bench needs an unencrypted database",
                                 src));
  throw UsageError(fmt::format("--database {}: not an SQLite database (no 'SQLite format 3' header)", src));
}

void wait_unlocked(const std::string& src) {
  const int64_t deadline = now_ns() + kLockWaitNs;
  while (busy_writing(src)) {
    if (now_ns() >= deadline)
      throw UsageError(fmt::format("--database {}: another process holds it locked for writing (waited {:.0f} s); "
                                   "stop the application or give a backup of it",
                                   src, ns_to_s(kLockWaitNs)));
    sleep_until_ns(now_ns() + 50'000'000);  // polling another process's lock: nothing to wait on
  }
}

std::string identity_of(const std::string& src) {
  std::string key = fs::absolute(src).lexically_normal().string();
  for (const std::string& p : {src, with_suffix(src, "-wal")}) {
    FileStamp s = stamp(p);
    key += fmt::format("|{}:{}:{}:{}", s.dev, s.ino, s.size, s.mtime_ns);
  }
  return fmt::format("{:016x}", XXH3_64bits(key.data(), key.size()));
}

}  // namespace

nlohmann::json to_json(const DatabaseInfo& d) {
  return {{"file", d.name},         {"path", d.path},
          {"bytes", d.bytes},       {"wal_bytes", d.wal_bytes},
          {"page_size", d.page_size}, {"pages", d.pages},
          {"freelist_pages", d.freelist_pages}, {"tables", d.tables},
          {"indices", d.indices},   {"journal_mode", d.journal_mode},
          {"identity", d.identity}};
}

void stage_user_database(const std::string& src, const std::string& dst) {
  check_header(src);
  // The sidecars SQLite would apply when opening FILE: its -wal, or a -journal
  // (hot or not: SQLite decides on the copy, as it would on FILE).
  const std::vector<std::string> sides{"-wal", "-journal"};
  for (int attempt = 0;; ++attempt) {
    wait_unlocked(src);
    std::vector<FileStamp> before{stamp(src)};
    for (auto& s : sides) before.push_back(stamp(with_suffix(src, s)));
    remove_db_files(dst);
    clone_or_copy(src, dst);
    for (auto& s : sides)
      if (fs::exists(with_suffix(src, s))) clone_or_copy(with_suffix(src, s), with_suffix(dst, s));
    std::vector<FileStamp> after{stamp(src)};
    for (auto& s : sides) after.push_back(stamp(with_suffix(src, s)));
    // Unchanged and unlocked around the copy: no transaction wrote in between.
    if (before == after && !busy_writing(src)) break;
    if (attempt == 2)
      throw UsageError(fmt::format("--database {}: it changed while being copied (an application is writing it); "
                                   "stop it or give a backup of it",
                                   src));
  }
  try {
    Db db(dst, SQLITE_OPEN_READWRITE);
    // Opening recovers the copy (applies its -wal or rolls back a hot journal);
    // a one-file rollback-mode copy is what templates start from.
    db.query_int("SELECT count(*) FROM sqlite_schema");
    db.exec("PRAGMA journal_mode = DELETE");
  } catch (const SqliteError& e) {
    remove_db_files(dst);
    throw UsageError(fmt::format("--database {}: SQLite cannot use it: {}", src, e.what()));
  }
}

DatabaseInfo inspect_user_database(const std::string& src, const std::string& scratch) {
  DatabaseInfo d;
  d.path = fs::absolute(src).lexically_normal().string();
  d.name = fs::path(src).filename().string();
  d.identity = identity_of(src);
  check_header(src);
  const std::string h = head_of(src, 100);
  // Header bytes 18/19 (read/write format versions) are 2 in WAL mode.
  d.journal_mode = h.size() >= 20 && h[18] == 2 ? "wal" : "rollback";
  d.bytes = file_size_or_zero(src);
  d.wal_bytes = file_size_or_zero(with_suffix(src, "-wal"));
  stage_user_database(src, scratch);
  Db db(scratch, SQLITE_OPEN_READWRITE);
  std::string integrity;
  {
    Stmt st(db, "PRAGMA integrity_check(5)");
    while (st.step()) integrity += (integrity.empty() ? "" : "; ") + st.col_text(0);
  }
  if (integrity != "ok")
    throw UsageError(fmt::format("--database {}: integrity_check fails: {}", src, integrity));
  d.page_size = db.query_int("PRAGMA page_size");
  d.pages = db.query_int("PRAGMA page_count");
  d.freelist_pages = db.query_int("PRAGMA freelist_count");
  d.tables = db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  d.indices = db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'index'");
  return d;
}

std::string user_data_key(const DatabaseSpec& s) {
  if (!s.database.empty()) return "db-" + identity_of(s.database);
  if (is_file_workload(s.workload)) return "file-" + load_workload_file(workload_file_path(s.workload)).hash;
  return {};
}

nlohmann::json prepare_user_data(const DatabaseSpec& s, std::vector<int64_t>& db_mb) {
  nlohmann::json out{{"database", nullptr}, {"workload_file", nullptr}};
  if (s.database.empty() && !is_file_workload(s.workload)) return out;
  if (!s.database.empty() && !is_file_workload(s.workload))
    throw UsageError("--database needs --workload-file: the built-in workloads run on their own schema");
  // A private folder beside the templates for the checks' copies.
  const std::string base = template_cache_dir();
  fs::create_directories(base);
  std::string tmpl = base + "/check-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error(fmt::format("cannot create a folder in {}", base));
  struct Remove {
    std::string dir;
    ~Remove() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove{tmpl};
  const std::string db_path = tmpl + "/check.sqlite";
  FileWorkload w(load_workload_file(workload_file_path(s.workload)));
  std::string db_name;
  if (!s.database.empty()) {
    DatabaseInfo d = inspect_user_database(s.database, db_path);
    out["database"] = to_json(d);
    db_name = d.name;
    db_mb = {std::max<int64_t>(1, int64_t(std::ceil(double(d.bytes + d.wal_bytes) / double(1 << 20))))};
  } else {
    create_database(db_path, s, "delete", db_mb.front(), uint64_t(s.seed));
    db_name = "the database its populate builds";
    const int64_t bytes = file_size_or_zero(db_path);
    db_mb = {std::max<int64_t>(1, int64_t(std::ceil(double(bytes) / double(1 << 20))))};
  }
  {
    Db db(db_path, SQLITE_OPEN_READWRITE);
    add_seq_table(db);
    w.check_on(db, db_name);
  }
  const WorkloadFile& f = w.file();
  out["workload_file"] = {{"name", f.name}, {"path", f.path}, {"hash", f.hash}, {"bytes", f.bytes},
                          {"writers", f.writers.size()}, {"readers", f.readers.size()},
                          {"invariants", f.invariants.size()}, {"populate", !f.populate.empty()},
                          {"populate_used", !f.populate.empty() && s.database.empty()}};
  return out;
}

}  // namespace bb
