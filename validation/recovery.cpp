// Sidecar planning and the private copy. Which -wal "belongs" is decided from
// what the files can prove: the database header records neither its WAL's salts
// nor its checkpoint sequence number, so only contradictions are detectable
// (docs/validation.md, "A -wal that does not belong").
#include "validation/recovery.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/files.h"
#include "core/interrupt.h"
#include "core/owner_tag.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

constexpr int64_t kCopyChunk = 1 << 20;
constexpr std::string_view kCopyPrefix = "bb-validate-";
constexpr std::string_view kCopyName = "snapshot.db";

// The live private copy's folder and files, for the signal handler: fixed
// buffers, so the handler touches no allocator (unlink and rmdir are
// async-signal-safe). A process has one private copy at a time.
constexpr size_t kPathMax = 4096;
struct CopyPaths {
  volatile sig_atomic_t used = 0;
  char dir[kPathMax];
  std::array<char[kPathMax], 1 + kSidecars.size()> files;
};
CopyPaths g_copy;

void track_copy(const std::string& dir, const std::string& db) {
  if (db.size() + 16 >= kPathMax) return;
  std::memcpy(g_copy.dir, dir.c_str(), dir.size() + 1);
  std::memcpy(g_copy.files[0], db.c_str(), db.size() + 1);
  for (size_t i = 0; i < kSidecars.size(); ++i) {
    const std::string f = with_suffix(db, kSidecars[i]);
    std::memcpy(g_copy.files[i + 1], f.c_str(), f.size() + 1);
  }
  g_copy.used = 1;
}

void on_signal(int sig) {
  if (g_copy.used) {
    for (auto& f : g_copy.files) unlink(f);
    rmdir(g_copy.dir);
  }
  _exit(128 + sig);
}
constexpr uint64_t kFreeSpaceMargin = 16 << 20;  // room left for SQLite's temporary files

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

// A non-empty regular file at `path` (the caller refused non-regular sidecars).
bool non_empty(const std::string& path) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec == std::errc::no_such_file_or_directory || (!ec && !fs::exists(st))) return false;
  if (ec) throw SnapshotAccessError(fmt::format("cannot examine {}: {}", path, ec.message()));
  auto size = fs::file_size(path, ec);
  if (ec) throw SnapshotAccessError(fmt::format("cannot examine {}: {}", path, ec.message()));
  return size > 0;
}

// Why `w` cannot be this database's own -wal; empty when nothing contradicts it.
// A page size never changes in WAL mode, and a database writes a -wal only while
// its header says WAL mode. Nothing else ties the two files together: the WAL's
// salts and checkpoint sequence number are recorded in no database page, and in
// WAL mode the header's change counter is not bumped per commit (it stays at the
// value the writing connection last read), so it orders nothing.
std::string foreign_reason(const WalScan& w, const DbHeader& db) {
  if (w.page_size != db.page_size)
    return fmt::format("its page size {} is not the database's {}", w.page_size, db.page_size);
  if (db.rollback_mode)
    return "the database file's header says rollback-journal mode, and a database writes a -wal only in WAL mode";
  return {};
}

}  // namespace

SidecarPlan plan_sidecars(const std::string& path, const DbHeader& db) {
  SidecarPlan p;
  std::string wal = with_suffix(path, "-wal"), journal = with_suffix(path, "-journal");
  if (non_empty(wal)) {
    ReadOnlyFile f(wal);
    p.wal = scan_wal(f);
    if (p.wal->applies_anything()) p.wal_foreign = foreign_reason(*p.wal, db);
  }
  if (non_empty(journal)) {
    ReadOnlyFile f(journal);
    p.journal_bytes = f.size();
    p.journal_hot = journal_is_hot(f);
  }
  return p;
}

nlohmann::json SidecarPlan::wal_json() const {
  if (!wal) return nullptr;
  const WalScan& w = *wal;
  std::string state = apply_wal()                  ? "applied"
                      : !w.refused_why.empty()     ? "refused"
                      : !wal_foreign.empty()       ? "foreign"
                                                   : "ignored";
  std::string why = !w.refused_why.empty() ? w.refused_why : !wal_foreign.empty() ? wal_foreign : w.ignored_why;
  return {{"bytes", w.bytes},      {"state", state},           {"why", why},
          {"frames", w.frames},    {"commits", w.commits},     {"torn_frames", w.torn_frames},
          {"page_size", w.page_size}, {"checkpoint_seq", w.checkpoint_seq}, {"salts", {w.salt1, w.salt2}}};
}

nlohmann::json SidecarPlan::journal_json() const {
  if (!journal_bytes) return nullptr;
  return {{"bytes", *journal_bytes}, {"hot", journal_hot}, {"state", journal_hot ? "rolled back" : "ignored"}};
}

std::vector<std::string> SidecarPlan::notes() const {
  std::vector<std::string> n;
  if (wal && apply_wal()) {
    std::string torn = wal->torn_frames ? fmt::format("; its last {} valid frames end no transaction and were not "
                                                      "applied, as SQLite does", wal->torn_frames)
                                        : "";
    n.push_back(fmt::format("a -wal file ({} bytes, {} commits) is beside the snapshot: validated what SQLite sees "
                            "with it (its committed transactions included){}",
                            wal->bytes, wal->commits, torn));
  } else if (wal && wal->refused_why.empty() && wal_foreign.empty()) {
    n.push_back(fmt::format("a -wal file ({} bytes) is beside the snapshot but SQLite applies nothing from it ({}): "
                            "not applied",
                            wal->bytes, wal->ignored_why));
  }
  if (journal_bytes && journal_hot)
    n.push_back(fmt::format("a hot -journal file ({} bytes) is beside the snapshot: validated what SQLite sees once "
                            "it has rolled it back",
                            *journal_bytes));
  else if (journal_bytes)
    n.push_back(fmt::format("a -journal file ({} bytes) is beside the snapshot but is not hot (its first byte is "
                            "zero): not applied, as SQLite does",
                            *journal_bytes));
  return n;
}

PrivateCopy::PrivateCopy(const std::string& snapshot, const SidecarPlan& plan, const std::string& scratch_dir) {
  remove_stale_private_copies(scratch_dir);
  std::string tmpl = fmt::format("{}/{}{}-XXXXXX", scratch_dir, kCopyPrefix, owner_tag());
  // No signal between making the folder and telling the handler about it.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  const bool made = mkdtemp(tmpl.data()) != nullptr;
  const int err = errno;
  if (made) track_copy(tmpl, fmt::format("{}/{}", tmpl, kCopyName));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (!made)
    throw SnapshotAccessError(fmt::format("cannot make a private folder for recovery in {}: {} (set TMPDIR to a "
                                          "writable folder)",
                                          scratch_dir, errno_text(err)));
  dir_ = tmpl;
  db_ = fmt::format("{}/{}", dir_, kCopyName);
  try {
    copy(snapshot, db_);
    if (plan.apply_wal()) copy(with_suffix(snapshot, "-wal"), with_suffix(db_, "-wal"));
    if (plan.journal_hot) copy(with_suffix(snapshot, "-journal"), with_suffix(db_, "-journal"));
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    g_copy.used = 0;  // after: a signal during the removal finishes it
    throw;
  }
}

PrivateCopy::~PrivateCopy() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  g_copy.used = 0;  // after: a signal during the removal finishes it
}

void install_private_copy_cleanup() { on_sigint_sigterm(on_signal); }

int remove_stale_private_copies(const std::string& scratch_dir) {
  int removed = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(scratch_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with(kCopyPrefix)) continue;
    auto tag = owner_tag_of(std::string_view(name).substr(kCopyPrefix.size()));
    if (!tag || owner_alive(*tag)) continue;  // no owner to judge by (an older name), or it is running
    struct stat sb;
    // Another user's folder is theirs to clean (and mode 0700 keeps us out anyway).
    if (lstat(e.path().c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid()) continue;
    std::error_code rec;
    if (fs::remove_all(e.path(), rec) > 0 && !rec) ++removed;
  }
  return removed;
}

void PrivateCopy::copy(const std::string& from, const std::string& to) {
  ReadOnlyFile in(from);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) throw SnapshotAccessError(fmt::format("cannot create the private copy {}: {}", to, errno_text(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{out};
  auto fail = [&](int e) {
    if (e == ENOSPC || e == EDQUOT)
      throw SnapshotAccessError(fmt::format("no room in {} for a private copy of {} ({} bytes): set TMPDIR to a "
                                            "folder with room",
                                            dir_, from, in.size()));
    throw SnapshotAccessError(fmt::format("cannot copy {} to a private folder: {}", from, errno_text(e)));
  };
  bytes_ += in.size();
  // A reflink shares the blocks (btrfs, XFS): no time, no space.
  if (ioctl(out, FICLONE, in.fd()) == 0) return;
  reflinked_ = false;
  struct statvfs sv {};
  if (fstatvfs(out, &sv) == 0) {
    uint64_t room = uint64_t(sv.f_bavail) * sv.f_frsize;
    if (room < uint64_t(in.size()) + kFreeSpaceMargin)
      throw SnapshotAccessError(fmt::format("no room in {} for a private copy of {} ({} bytes needed, {} free): set "
                                            "TMPDIR to a folder with room",
                                            dir_, from, in.size(), room));
  }
  loff_t in_off = 0, out_off = 0;
  bool in_kernel = true;
  std::vector<char> buf;
  while (in_off < in.size()) {
    if (in_kernel) {
      ssize_t n = copy_file_range(in.fd(), &in_off, out, &out_off, size_t(in.size() - in_off), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && in_off == 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        in_kernel = false;  // not supported between these filesystems: plain reads and writes
        continue;
      }
      if (n < 0) fail(errno);
      if (n == 0) break;
      continue;
    }
    buf.resize(kCopyChunk);
    size_t got = in.read_at(buf.data(), buf.size(), in_off);
    if (got == 0) break;
    for (size_t done = 0; done < got;) {
      ssize_t w = ::pwrite(out, buf.data() + done, got - done, out_off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) fail(errno);
      done += size_t(w);
      out_off += w;
    }
    in_off += loff_t(got);
  }
  if (in_off < in.size())
    throw SnapshotAccessError(fmt::format("{} ended at {} bytes while being copied ({} expected)", from, in_off,
                                          in.size()));
}

}  // namespace bb
