// Reading a snapshot's files without changing them: a read-only descriptor, and
// the on-disk facts the validator needs before SQLite opens anything -- the
// database header, what a -wal holds, whether a -journal is hot
// (sqlite.org/fileformat2.html: 1.3 the database header, 4.1 the WAL format).
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace bb {

// The snapshot or a file beside it cannot be read (permissions, I/O errors, no
// room for a private copy): a problem of the environment, not a verdict.
struct SnapshotAccessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A file opened O_RDONLY. Throws SnapshotAccessError naming the path and why.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& path);
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  // Reads up to `n` bytes at `offset`; fewer only at the end of the file.
  size_t read_at(void* buf, size_t n, int64_t offset) const;

 private:
  std::string path_;
  int fd_ = -1;
  int64_t size_ = 0;
};

// What the first 100 bytes of a database file say.
struct DbHeader {
  int64_t file_bytes = 0;
  bool magic = false;           // "SQLite format 3\0"
  uint32_t page_size = 0;       // 0: invalid
  bool wal_mode = false;        // read/write versions 2
  bool rollback_mode = false;   // read/write versions 1
  int64_t header_pages = 0;     // 0: not valid (older writer or change counter mismatch)
};
DbHeader read_db_header(const ReadOnlyFile& f);

// What SQLite's WAL recovery would take from a -wal: the frames up to the last
// valid commit frame, where a frame is valid when its salts match the header's
// and its cumulative checksum matches. Streams the file (one frame in memory).
struct WalScan {
  int64_t bytes = 0;
  std::string ignored_why;   // non-empty: SQLite applies nothing from it, and why
  std::string refused_why;   // non-empty: SQLite refuses to open the database with it
  uint32_t page_size = 0;
  uint32_t checkpoint_seq = 0;
  uint32_t salt1 = 0, salt2 = 0;
  int64_t frames = 0;        // frames SQLite applies (up to the last commit frame)
  int64_t commits = 0;       // commit frames among them
  int64_t torn_frames = 0;   // valid frames after the last commit frame (not applied)
  bool applies_anything() const { return ignored_why.empty() && refused_why.empty() && frames > 0; }
};
WalScan scan_wal(const ReadOnlyFile& f);

// SQLite rolls a -journal back when it is not empty and its first byte is not
// zero (a journal zeroed at commit, journal_mode=PERSIST, is not hot).
bool journal_is_hot(const ReadOnlyFile& f);

}  // namespace bb
