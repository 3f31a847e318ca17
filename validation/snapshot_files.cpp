// The database header, the WAL scan and the journal's hot check, read through a
// read-only descriptor. The WAL rules mirror SQLite's recovery (wal.c,
// walIndexRecover and walDecodeFrame) so "what SQLite would apply" is known
// before anything is opened.
#include "validation/snapshot_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace bb {
namespace {

constexpr uint32_t kWalMagic = 0x377f0682;  // low bit set: big-endian checksum words
constexpr uint32_t kWalVersion = 3007000;
constexpr size_t kWalHeaderBytes = 32;
constexpr size_t kFrameHeaderBytes = 24;

uint32_t be32(const unsigned char* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint32_t le32(const unsigned char* p) {
  return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

// The WAL checksum (fileformat2 4.1): the input as pairs of 32-bit words in the
// byte order the magic names, s0 += x0 + s1, s1 += x1 + s0, continued across
// the header and every frame.
struct WalChecksum {
  bool big_endian;
  uint32_t s0 = 0, s1 = 0;
  void add(const unsigned char* p, size_t n) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      s0 += (big_endian ? be32(p + i) : le32(p + i)) + s1;
      s1 += (big_endian ? be32(p + i + 4) : le32(p + i + 4)) + s0;
    }
  }
  bool matches(const unsigned char* stored) const { return s0 == be32(stored) && s1 == be32(stored + 4); }
};

bool valid_page_size(uint32_t ps) { return ps >= 512 && ps <= 65536 && (ps & (ps - 1)) == 0; }

}  // namespace

ReadOnlyFile::ReadOnlyFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd_ < 0) {
    int e = errno;
    if (e == EACCES || e == EPERM)
      throw SnapshotAccessError(fmt::format("cannot read {}: permission denied", path));
    throw SnapshotAccessError(fmt::format("cannot open {}: {}", path, errno_text(e)));
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0) {
    int e = errno;
    ::close(fd_);
    throw SnapshotAccessError(fmt::format("cannot examine {}: {}", path, errno_text(e)));
  }
  size_ = int64_t(st.st_size);
}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) ::close(fd_);
}

size_t ReadOnlyFile::read_at(void* buf, size_t n, int64_t offset) const {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, static_cast<char*>(buf) + done, n - done, off_t(offset) + off_t(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw SnapshotAccessError(fmt::format("I/O error reading {}: {}", path_, errno_text(errno)));
    if (r == 0) break;
    done += size_t(r);
  }
  return done;
}

DbHeader read_db_header(const ReadOnlyFile& f) {
  DbHeader h;
  h.file_bytes = f.size();
  unsigned char b[100] = {};
  size_t got = f.read_at(b, sizeof b, 0);
  if (got < 16 || std::memcmp(b, "SQLite format 3\0", 16) != 0) return h;
  h.magic = true;
  if (got < 100) return h;
  uint32_t ps = uint32_t(b[16]) << 8 | b[17];
  if (ps == 1) ps = 65536;
  if (valid_page_size(ps)) h.page_size = ps;
  h.wal_mode = b[18] == 2 && b[19] == 2;
  h.rollback_mode = b[18] == 1 && b[19] == 1;
  if (be32(b + 24) == be32(b + 92)) h.header_pages = be32(b + 28);
  return h;
}

WalScan scan_wal(const ReadOnlyFile& f) {
  WalScan w;
  w.bytes = f.size();
  unsigned char hdr[kWalHeaderBytes] = {};
  // SQLite reads nothing from a -wal no longer than its header.
  if (size_t(w.bytes) <= kWalHeaderBytes) {
    w.ignored_why = "it is no longer than a WAL header";
    return w;
  }
  f.read_at(hdr, sizeof hdr, 0);
  uint32_t magic = be32(hdr);
  w.page_size = be32(hdr + 8);
  if ((magic & ~1u) != kWalMagic || !valid_page_size(w.page_size)) {
    w.ignored_why = "it has no valid WAL header";
    return w;
  }
  w.checkpoint_seq = be32(hdr + 12);
  w.salt1 = be32(hdr + 16);
  w.salt2 = be32(hdr + 20);
  WalChecksum sum{(magic & 1) != 0};
  sum.add(hdr, 24);
  if (!sum.matches(hdr + 24)) {
    w.ignored_why = "its header checksum does not match";
    return w;
  }
  if (uint32_t v = be32(hdr + 4); v != kWalVersion) {
    w.refused_why = fmt::format("its WAL format version {} is not {}", v, kWalVersion);
    return w;
  }
  // Frames are read one at a time: memory stays one page whatever the -wal's size.
  std::vector<unsigned char> frame(kFrameHeaderBytes + w.page_size);
  int64_t valid = 0;
  for (int64_t off = kWalHeaderBytes; off + int64_t(frame.size()) <= w.bytes; off += int64_t(frame.size())) {
    if (f.read_at(frame.data(), frame.size(), off) < frame.size()) break;
    const unsigned char* fh = frame.data();
    const unsigned char* page = fh + kFrameHeaderBytes;
    uint32_t pgno = be32(fh);
    if (pgno == 0 || std::memcmp(fh + 8, hdr + 16, 8) != 0) break;  // salts: a frame of another generation
    sum.add(fh, 8);
    sum.add(page, w.page_size);
    if (!sum.matches(fh + 16)) break;
    ++valid;
    if (be32(fh + 4) != 0) {  // a commit frame: database size in pages after the commit
      w.frames = valid;
      ++w.commits;
    }
  }
  w.torn_frames = valid - w.frames;
  if (w.frames == 0)
    w.ignored_why = valid ? "its valid frames end no transaction (no commit frame)" : "it holds no valid frame";
  return w;
}

bool journal_is_hot(const ReadOnlyFile& f) {
  unsigned char first = 0;
  return f.size() > 0 && f.read_at(&first, 1, 0) == 1 && first != 0;
}

}  // namespace bb
