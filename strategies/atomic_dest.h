// Writes a backup destination atomically: the strategy writes to a temporary name
// in the destination's folder; commit() fsyncs it, renames it over the
// destination and fsyncs the folder. Until then nothing exists at the destination
// path, so a failed, timed-out or killed backup never leaves a file there that
// looks finished. The destructor removes an uncommitted temporary, and so does
// SIGINT/SIGTERM (install_signal_cleanup); a SIGKILLed process's temporary is
// removed by the next backup to the same folder (remove_stale_partials).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace bb {

class AtomicDest {
 public:
  explicit AtomicDest(std::string dest);
  ~AtomicDest();
  AtomicDest(const AtomicDest&) = delete;
  AtomicDest& operator=(const AtomicDest&) = delete;

  const std::string& dest() const { return dest_; }
  // Where to write. Companion files (e.g. "-wal") go to tmp() + suffix.
  const std::string& tmp() const { return tmp_; }
  // Declares a companion file written beside tmp() (tmp()+suffix -> dest+suffix).
  void add_companion(std::string_view suffix);
  // fsync, rename (companions first, the main file last), fsync the folder.
  void commit();
  // Bytes written (main file plus companions).
  long long bytes() const;

 private:
  void remove_temporaries() noexcept;
  std::string dest_, tmp_;
  std::vector<std::string> companions_;
  bool committed_ = false;
};

// The temporary name's prefix for `dest`: ".NAME.partial-" (the pid follows).
std::string partial_prefix(const std::string& dest);

// Removes temporaries beside `dest` left by backups whose process is gone (a
// SIGKILL leaves them); returns how many files were removed.
int remove_stale_partials(const std::string& dest);

// SIGINT/SIGTERM remove every live AtomicDest's temporaries, then the process
// exits with 128 + the signal.
void install_signal_cleanup();

}  // namespace bb
