// Write-combining VFS: forwards every call to the default VFS, buffering runs of
// consecutive writes into one large write.
#include "strategies/write_combining_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>

namespace bb {
namespace {

constexpr size_t kBuffer = 16 << 20;

struct File {
  sqlite3_file base;   // must be first: SQLite sees this
  sqlite3_file* real;  // the default VFS's file, allocated right after this struct
  char* buf;
  sqlite3_int64 buf_off;
  size_t buf_len;
  int writeback_fd;    // a second descriptor of the main file, to start its writeback early; -1: none
};

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_io;

// The unix VFS's xWrite takes at most 128 KiB - 1 per call (it masks the length
// to 17 bits, sized for pages of up to 64 KiB), so the buffer goes out in 64 KiB
// pieces: still 16 times fewer system calls than 4 KiB pages.
constexpr size_t kPiece = 64 << 10;
// Flushes at least this large start their writeback at once (see flush()).
constexpr size_t kWritebackMin = 1 << 20;

int flush(File* f) {
  for (size_t done = 0; done < f->buf_len;) {
    size_t n = std::min(kPiece, f->buf_len - done);
    int rc = f->real->pMethods->xWrite(f->real, f->buf + done, int(n), f->buf_off + sqlite3_int64(done));
    if (rc != SQLITE_OK) {
      f->buf_len = 0;
      return rc;
    }
    done += n;
  }
  // Start writing what was just written out to disk now, without waiting: the
  // destination's final fsync then finds most of it already on disk, so the
  // disk works while the copy goes on instead of after it. A hint only.
  if (f->writeback_fd >= 0 && f->buf_len >= kWritebackMin)
    sync_file_range(f->writeback_fd, f->buf_off, off_t(f->buf_len), SYNC_FILE_RANGE_WRITE);
  f->buf_len = 0;
  return SQLITE_OK;
}

int x_close(sqlite3_file* p) {
  auto* f = reinterpret_cast<File*>(p);
  int rc = flush(f);
  int rc2 = f->real->pMethods->xClose(f->real);
  if (f->writeback_fd >= 0) close(f->writeback_fd);
  f->writeback_fd = -1;
  delete[] f->buf;
  f->buf = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

int x_read(sqlite3_file* p, void* out, int amt, sqlite3_int64 off) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xRead(f->real, out, amt, off);
}

int x_write(sqlite3_file* p, const void* data, int amt, sqlite3_int64 off) {
  auto* f = reinterpret_cast<File*>(p);
  if (f->buf_len > 0 && off == f->buf_off + sqlite3_int64(f->buf_len) && f->buf_len + size_t(amt) <= kBuffer) {
    std::memcpy(f->buf + f->buf_len, data, size_t(amt));
    f->buf_len += size_t(amt);
    return SQLITE_OK;
  }
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  if (size_t(amt) > kPiece) return f->real->pMethods->xWrite(f->real, data, amt, off);
  std::memcpy(f->buf, data, size_t(amt));
  f->buf_off = off;
  f->buf_len = size_t(amt);
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* p, sqlite3_int64 size) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}

int x_sync(sqlite3_file* p, int flags) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int x_file_size(sqlite3_file* p, sqlite3_int64* size) {
  auto* f = reinterpret_cast<File*>(p);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

#define BB_FORWARD(name, ...) reinterpret_cast<File*>(p)->real->pMethods->name(reinterpret_cast<File*>(p)->real, ##__VA_ARGS__)
int x_lock(sqlite3_file* p, int l) { return BB_FORWARD(xLock, l); }
int x_unlock(sqlite3_file* p, int l) { return BB_FORWARD(xUnlock, l); }
int x_check_reserved(sqlite3_file* p, int* out) { return BB_FORWARD(xCheckReservedLock, out); }
int x_file_control(sqlite3_file* p, int op, void* arg) {
  if (int rc = flush(reinterpret_cast<File*>(p)); rc != SQLITE_OK) return rc;
  return BB_FORWARD(xFileControl, op, arg);
}
int x_sector_size(sqlite3_file* p) { return BB_FORWARD(xSectorSize); }
int x_device_characteristics(sqlite3_file* p) { return BB_FORWARD(xDeviceCharacteristics); }
#undef BB_FORWARD

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* p, int flags, int* out_flags) {
  auto* f = reinterpret_cast<File*>(p);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->base.pMethods = nullptr;
  int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  f->buf = new (std::nothrow) char[kBuffer];
  if (!f->buf) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_NOMEM;
  }
  f->buf_off = 0;
  f->buf_len = 0;
  // Closing this descriptor would drop the process's POSIX locks on the file
  // (sqlite.org/howtocorrupt.html 2.2): it is closed only with the file itself,
  // and the file is a private destination no one else locks.
  f->writeback_fd = name && (flags & SQLITE_OPEN_MAIN_DB) ? open(name, O_RDONLY | O_CLOEXEC) : -1;
  f->base.pMethods = &g_io;
  return SQLITE_OK;
}

}  // namespace

const char* write_combining_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_real = sqlite3_vfs_find(nullptr);
    g_vfs = *g_real;
    g_vfs.zName = "bb-write-combining";
    g_vfs.szOsFile = int(sizeof(File)) + g_real->szOsFile;
    g_vfs.xOpen = x_open;
    g_vfs.pAppData = nullptr;
    g_vfs.pNext = nullptr;
    // Version 1 methods: no shared memory (the destination is never in WAL mode)
    // and no memory-mapped access (so every read goes through x_read).
    g_io = sqlite3_io_methods{1, x_close, x_read, x_write, x_truncate, x_sync, x_file_size, x_lock, x_unlock,
                              x_check_reserved, x_file_control, x_sector_size, x_device_characteristics,
                              nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
    sqlite3_vfs_register(&g_vfs, 0);
  });
  return g_vfs.zName;
}

}  // namespace bb
