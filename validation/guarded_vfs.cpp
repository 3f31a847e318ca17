// The guarded VFS: every method forwards to the default VFS (always passing the
// default VFS itself, whose methods read their own pAppData); xOpen, xDelete and
// xAccess first check the path against the set of guarded snapshots.
#include "validation/guarded_vfs.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "core/files.h"
#include "core/sqlite_db.h"

namespace bb {
namespace {

constexpr const char* kName = "bb-guarded";

std::mutex mu;
std::map<std::string, int>& allowed() {  // full path -> number of guards
  static std::map<std::string, int> m;
  return m;
}
sqlite3_vfs* base = nullptr;

bool is_allowed(const char* name) {
  if (!name) return true;  // anonymous temporary file
  std::lock_guard lk(mu);
  return allowed().count(name) > 0;
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if (!is_allowed(name)) {
    f->pMethods = nullptr;
    return SQLITE_CANTOPEN;
  }
  return base->xOpen(base, name, f, flags, out_flags);
}
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (!is_allowed(name)) return SQLITE_IOERR_DELETE;
  return base->xDelete(base, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* res) {
  if (!is_allowed(name)) {
    *res = 0;
    return SQLITE_OK;
  }
  return base->xAccess(base, name, flags, res);
}
int x_full(sqlite3_vfs*, const char* name, int n, char* out) { return base->xFullPathname(base, name, n, out); }
void* x_dlopen(sqlite3_vfs*, const char* name) { return base->xDlOpen(base, name); }
void x_dlerror(sqlite3_vfs*, int n, char* msg) { base->xDlError(base, n, msg); }
void (*x_dlsym(sqlite3_vfs*, void* h, const char* sym))(void) { return base->xDlSym(base, h, sym); }
void x_dlclose(sqlite3_vfs*, void* h) { base->xDlClose(base, h); }
int x_random(sqlite3_vfs*, int n, char* out) { return base->xRandomness(base, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return base->xSleep(base, us); }
int x_time(sqlite3_vfs*, double* t) { return base->xCurrentTime(base, t); }
int x_lasterr(sqlite3_vfs*, int n, char* msg) { return base->xGetLastError ? base->xGetLastError(base, n, msg) : 0; }
int x_time64(sqlite3_vfs*, sqlite3_int64* t) { return base->xCurrentTimeInt64(base, t); }
int x_setsys(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) { return base->xSetSystemCall(base, name, p); }
sqlite3_syscall_ptr x_getsys(sqlite3_vfs*, const char* name) { return base->xGetSystemCall(base, name); }
const char* x_nextsys(sqlite3_vfs*, const char* name) { return base->xNextSystemCall(base, name); }

sqlite3_vfs* install() {
  static sqlite3_vfs vfs = [] {
    base = sqlite3_vfs_find(nullptr);
    if (!base) throw SqliteError(SQLITE_ERROR, "no default SQLite VFS");
    sqlite3_vfs v{};
    v.iVersion = std::min(base->iVersion, 3);
    v.szOsFile = base->szOsFile;
    v.mxPathname = base->mxPathname;
    v.zName = kName;
    v.xOpen = x_open;
    v.xDelete = x_delete;
    v.xAccess = x_access;
    v.xFullPathname = x_full;
    v.xDlOpen = x_dlopen;
    v.xDlError = x_dlerror;
    v.xDlSym = x_dlsym;
    v.xDlClose = x_dlclose;
    v.xRandomness = x_random;
    v.xSleep = x_sleep;
    v.xCurrentTime = x_time;
    v.xGetLastError = x_lasterr;
    if (v.iVersion >= 2) v.xCurrentTimeInt64 = x_time64;
    if (v.iVersion >= 3) {
      v.xSetSystemCall = x_setsys;
      v.xGetSystemCall = x_getsys;
      v.xNextSystemCall = x_nextsys;
    }
    return v;
  }();
  static int rc = sqlite3_vfs_register(&vfs, 0);
  if (rc != SQLITE_OK) throw SqliteError(rc, "cannot register the guarded VFS");
  return &vfs;
}

std::string uri_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~')
      out.push_back(char(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

GuardedPath::GuardedPath(const std::string& path) {
  install();
  std::error_code ec;
  std::string abs = std::filesystem::absolute(path, ec).string();
  if (ec) abs = path;
  std::vector<char> buf(size_t(base->mxPathname) + 1);
  int rc = base->xFullPathname(base, abs.c_str(), int(buf.size()), buf.data());
  if (rc != SQLITE_OK && rc != SQLITE_OK_SYMLINK)
    throw SqliteError(rc, fmt::format("cannot resolve the path {}", path));
  full_ = buf.data();
  // "file://" + an absolute path: an empty authority, so a path starting with
  // "//" is not read as a host name.
  uri_ = fmt::format("file://{}?vfs={}", uri_escape(abs), kName);
  std::lock_guard lk(mu);
  ++allowed()[full_];
  for (auto s : kSidecars) ++allowed()[with_suffix(full_, s)];
}

GuardedPath::~GuardedPath() {
  std::lock_guard lk(mu);
  for (std::string_view s : {std::string_view(), kSidecars[0], kSidecars[1], kSidecars[2]}) {
    auto it = allowed().find(with_suffix(full_, s));
    if (it != allowed().end() && --it->second == 0) allowed().erase(it);
  }
}

}  // namespace bb
