// Plain file I/O copies, the way the file-copy strategies take them.
//
// POSIX advisory locks belong to the process: closing ANY descriptor of the
// database file drops every lock the process holds on it, including the locks of
// its own SQLite connection (sqlite.org/howtocorrupt.html §2.2). So a strategy
// that holds a lock through SQLite copies from a child process
// (copy_in_child), which execs `backup-bench __copy` and never shares the
// connection. copy_in_process exists for strategies with no lock to lose, and
// for the deliberate demonstration of that pitfall.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bb {

// One file to copy; a missing source copies as "absent" when optional.
struct CopyItem {
  std::string src;
  std::string dst;
  bool optional = false;  // e.g. a -wal or -journal that may not exist
};

// Copies src's bytes to dst (created/truncated) with sendfile -- a real copy,
// never a reflink clone, also on btrfs and xfs; no fsync (the destination's
// AtomicDest fsyncs). Returns bytes copied, or -1 when an optional source does
// not exist. Throws std::runtime_error on failure.
int64_t copy_in_process(const CopyItem& item);

// The same copies, done by a child process (`backup-bench __copy`), in order.
// Returns total bytes copied. Throws std::runtime_error on failure.
int64_t copy_in_child(const std::vector<CopyItem>& items);

// Body of `backup-bench __copy [--optional] SRC DST [[--optional] SRC DST]...`;
// prints the total bytes copied; returns an exit code.
int copy_main(const std::vector<std::string>& args);

}  // namespace bb
