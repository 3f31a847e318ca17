// `incremental`: keeps the previous backup at the destination and rewrites only
// the pages whose content differs. Inside ONE read transaction on the source (one
// snapshot) it reads every page through sqlite_dbpage, compares it with the
// previous backup's page, writes the pages that differ into the temporary
// destination (which starts as a clone of the previous backup) and sets its length
// to the source's page count: the result is the snapshot's pages, byte for byte.
// Needs SQLite built with SQLITE_ENABLE_DBPAGE_VTAB. docs/incremental.md.
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/clock.h"
#include "core/files.h"
#include "core/sqlite_build.h"
#include "core/sqlite_db.h"
#include "strategies/file_copy.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// Changed pages are written in runs of up to this many bytes (the batch parameter
// only sets pages per SQL statement).
constexpr int64_t kIoBytes = 1 << 20;

[[noreturn]] void sys_fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

void pwrite_all(int fd, const char* buf, int64_t n, int64_t off, const std::string& path) {
  for (int64_t done = 0; done < n;) {
    ssize_t w = pwrite(fd, buf + done, size_t(n - done), off + done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) sys_fail("write " + path);
    done += w;
  }
}

// What the previous backup at the destination can serve as: a base with this page
// size, or nothing (`fallback` names why: every page is then written).
struct Base {
  int64_t page_size = 0;
  std::string fallback, detail;
};

Base inspect_previous(const std::string& path) {
  Base b;
  std::error_code ec;
  if (!fs::exists(path, ec)) return {0, "missing", "no previous backup at the destination"};
  unsigned char h[100] = {};
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) sys_fail("open " + path);
  ssize_t n = pread(f.fd, h, sizeof h, 0);
  if (n == 0) return {0, "empty", "the previous backup is an empty file"};
  if (n < ssize_t(sizeof h) || std::memcmp(h, "SQLite format 3\0", 16) != 0)
    return {0, "not_sqlite", "the file at the destination is not an SQLite database"};
  int64_t ps = (int64_t(h[16]) << 8) | h[17];
  if (ps == 1) ps = 65536;
  if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0)
    return {0, "not_sqlite", fmt::format("the previous backup's header gives page size {}", ps)};
  b.page_size = ps;
  return b;
}

// tmp becomes a copy of `from`: a reflink (shared extents: nothing copied) where
// the filesystem has them, else copy_file_range (the kernel copies every byte).
std::string clone_file(const std::string& from, const std::string& to) {
  {
    Fd in{open(from.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) sys_fail("open " + from);
    Fd out{open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (out.fd < 0) sys_fail("create " + to);
    if (ioctl(out.fd, FICLONE, in.fd) == 0) return "reflink";
  }
  copy_in_process({from, to});
  return "copy";
}

struct Counters {
  int64_t compared = 0, written = 0, read_base_bytes = 0, write_calls = 0;
};

// The temporary destination, patched page by page. Base pages are compared through
// a read-only mapping (pread's copy into a buffer was a third of the run time on
// 1 GB); consecutive changed pages are written as one run of up to kIoBytes.
class Patcher {
 public:
  Patcher(const std::string& path, int64_t page_size, int64_t base_pages, bool hash, Counters& c)
      : path_(path),
        ps_(page_size),
        base_pages_(base_pages),
        hash_(hash),
        c_(c),
        run_pages_(std::max<int64_t>(1, kIoBytes / page_size)) {
    fd_.fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_.fd < 0) sys_fail("open " + path);
    if (base_pages_ > 0) {
      void* m = mmap(nullptr, size_t(base_pages_ * ps_), PROT_READ, MAP_SHARED, fd_.fd, 0);
      if (m == MAP_FAILED) sys_fail("map " + path);
      base_ = static_cast<const char*>(m);
      madvise(m, size_t(base_pages_ * ps_), MADV_SEQUENTIAL);
    }
    out_.reserve(size_t(run_pages_ * ps_));
  }
  ~Patcher() { unmap(); }
  Patcher(const Patcher&) = delete;
  Patcher& operator=(const Patcher&) = delete;

  void page(int64_t pgno, const char* data) {
    if (!differs(pgno, data)) return;
    if (out_first_ == 0 || pgno != out_first_ + out_count() || out_count() >= run_pages_) flush();
    if (out_first_ == 0) out_first_ = pgno;
    out_.insert(out_.end(), data, data + ps_);
    ++c_.written;
  }

  void flush() {
    if (out_first_ != 0) {
      pwrite_all(fd_.fd, out_.data(), int64_t(out_.size()), (out_first_ - 1) * ps_, path_);
      ++c_.write_calls;
    }
    out_.clear();
    out_first_ = 0;
  }

  void set_pages(int64_t pages) {
    flush();
    unmap();  // a mapping past a shrunk end would fault
    if (ftruncate(fd_.fd, pages * ps_) != 0) sys_fail("truncate " + path_);
  }

 private:
  int64_t out_count() const { return int64_t(out_.size()) / ps_; }

  void unmap() {
    if (base_) munmap(const_cast<char*>(base_), size_t(base_pages_ * ps_));
    base_ = nullptr;
  }

  // Each page is compared before it is written, so the mapping still shows the base.
  bool differs(int64_t pgno, const char* data) {
    if (pgno > base_pages_) return true;
    ++c_.compared;
    c_.read_base_bytes += ps_;
    const char* old = base_ + (pgno - 1) * ps_;
    if (hash_) return XXH3_64bits(data, size_t(ps_)) != XXH3_64bits(old, size_t(ps_));
    return std::memcmp(data, old, size_t(ps_)) != 0;
  }

  std::string path_;
  Fd fd_;
  int64_t ps_, base_pages_;
  bool hash_;
  Counters& c_;
  int64_t run_pages_;
  const char* base_ = nullptr;
  std::vector<char> out_;
  int64_t out_first_ = 0;
};

// "SELECT pgno, data FROM sqlite_dbpage WHERE pgno IN (?1, ..., ?N)": sqlite_dbpage
// serves only equality on pgno, so a range would scan every page; an IN list is N
// lookups. batch = -1: one statement scanning every page in order.
std::string read_sql(int64_t batch) {
  std::string sql = "SELECT pgno, data FROM sqlite_dbpage";
  if (batch < 0) return sql;
  sql += " WHERE pgno IN (";
  for (int64_t i = 1; i <= batch; ++i) sql += fmt::format("{}?{}", i > 1 ? "," : "", i);
  return sql + ")";
}

void run_incremental(BackupJob& job) {
  const int64_t batch = job.param_int("batch");
  const bool hash = job.params.at("compare") == "xxh3";
  const bool move = job.params.at("base") == "move";
  Base base = inspect_previous(job.dest());
  std::string how = "none";
  double clone_s = 0;
  // A clone before the source is touched costs writers nothing.
  if (base.fallback.empty() && !move) {
    const int64_t t = now_ns();
    how = clone_file(job.dest(), job.tmp());
    clone_s = ns_to_s(now_ns() - t);
  }

  SourceDb src(job);
  // Pages are read through the pager: mmap saves a copy per page, as for online.
  src.exec("PRAGMA mmap_size = 1099511627776");
  EagerBusy busy(src.get(), kLockWaitMs, job);
  int64_t page_size = 0, pages = 0;
  std::optional<InTransaction> snapshot;
  const int64_t busy_errors = retry_busy(
      [&] {
        src.exec("BEGIN");
        snapshot.emplace(src);
        // The first read opens the read transaction: the snapshot every page comes from.
        pages = src.query_int("PRAGMA page_count");
        page_size = src.query_int("PRAGMA page_size");
      },
      [&] { snapshot.reset(); });
  job.reading();
  if (base.fallback.empty() && move) {
    fs::rename(job.dest(), job.tmp());
    how = "move";
  }
  if (base.fallback.empty() && base.page_size != page_size) {
    base = {0, "page_size",
            fmt::format("the previous backup's page size is {}, the source's {}", base.page_size, page_size)};
    fs::resize_file(job.tmp(), 0);
  }
  const int64_t base_bytes = base.fallback.empty() ? int64_t(fs::file_size(job.tmp())) : 0;
  Counters c;
  Patcher out(job.tmp(), page_size, base_bytes / page_size, hash, c);
  Stmt read(src, read_sql(batch));
  int64_t seen = 0;
  for (int64_t first = 1; first <= pages; first += batch < 0 ? pages : batch) {
    for (int64_t i = 1; batch > 0 && i <= batch; ++i)
      if (first + i - 1 <= pages)
        read.bind(i, first + i - 1);
      else
        sqlite3_bind_null(read.get(), int(i));
    while (read.step()) {
      const int64_t pgno = read.col_int(0);
      const int bytes = sqlite3_column_bytes(read.get(), 1);
      const char* data = static_cast<const char*>(sqlite3_column_blob(read.get(), 1));
      if (bytes != page_size || pgno < 1 || pgno > pages)
        throw std::runtime_error(fmt::format("sqlite_dbpage returned page {} with {} bytes", pgno, bytes));
      out.page(pgno, data);
      ++seen;
    }
    read.reset();
    job.step(pages - std::min(pages, first - 1 + (batch < 0 ? pages : batch)));
  }
  if (seen != pages) throw std::runtime_error(fmt::format("read {} of the source's {} pages", seen, pages));
  job.read_done();
  snapshot->commit();
  out.set_pages(pages);

  job.extra["page_size"] = page_size;
  job.extra["pages"] = pages;
  job.extra["pages_compared"] = c.compared;
  job.extra["pages_written"] = c.written;
  job.extra["pages_truncated"] = std::max<int64_t>(0, base_bytes / page_size - pages);
  job.extra["bytes_read"] = pages * page_size + c.read_base_bytes;
  job.extra["bytes_read_base"] = c.read_base_bytes;
  job.extra["bytes_written"] = c.written * page_size;
  job.extra["write_calls"] = c.write_calls;
  job.extra["base"] = how;  // reflink | copy | move | none
  job.extra["clone_s"] = clone_s;
  job.extra["fallback"] = base.fallback.empty() ? nlohmann::json(nullptr) : nlohmann::json(base.fallback);
  if (!base.detail.empty()) job.extra["fallback_detail"] = base.detail;
  job.extra["busy_errors"] = busy_errors;
}

std::string incremental_skip(const std::string&, bool) {
  if (has_dbpage()) return {};
  return fmt::format(
      "needs SQLite with sqlite_dbpage (SQLITE_ENABLE_DBPAGE_VTAB); this binary runs SQLite {} "
      "without it (a second build: scripts/build-sqlite DIR)",
      sqlite3_libversion());
}

const bool registered = register_strategy({
    .name = "incremental",
    .description = "rewrites only the pages that differ from the previous backup, read through sqlite_dbpage "
                   "inside one read transaction",
    .params = {{"compare",
                "bytes",
                "how a page is compared with the previous backup's: bytes (memcmp) or xxh3 "
                "(a 64-bit hash of each side, as a remote sync compares)",
                {"bytes", "xxh3"}},
               {"batch",
                "-1",
                "pages per read statement (-1 = one statement scanning every page, the fastest)",
                {},
                1,
                8192,
                {-1}},
               {"base",
                "clone",
                "clone: the previous backup is cloned to the temporary file (reflink, else a full "
                "copy) and stays intact until the rename; move: it is renamed to the temporary "
                "file and patched (only changed pages written; lost if the backup fails)",
                {"clone", "move"}}},
    .skip_reason = incremental_skip,
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode (rollback mode: blocks writers for the whole compare)",
    .needs = "SQLite built with SQLITE_ENABLE_DBPAGE_VTAB (scripts/build-sqlite)",
    .run = run_incremental,
});

}  // namespace
}  // namespace bb
