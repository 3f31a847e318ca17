// Writes a backup destination atomically: the strategy writes to a temporary name
// in the destination's folder; commit() fsyncs it, renames it over the
// destination and fsyncs the folder. Until then nothing exists at the destination
// path, so a failed, timed-out or killed backup never leaves a file there that
// looks finished. The destructor removes an uncommitted temporary.
#pragma once
#include <string>
#include <vector>

namespace bb {

class AtomicDest {
 public:
  explicit AtomicDest(std::string dest);
  ~AtomicDest();
  AtomicDest(const AtomicDest&) = delete;
  AtomicDest& operator=(const AtomicDest&) = delete;

  // Where to write. Companion files (e.g. "-wal") go to tmp() + suffix.
  const std::string& tmp() const { return tmp_; }
  // Declares a companion file written beside tmp() (tmp()+suffix -> dest+suffix).
  void add_companion(const std::string& suffix) { companions_.push_back(suffix); }
  // fsync, rename (companions first, the main file last), fsync the folder.
  void commit();
  // Bytes written so far (main file plus companions).
  long long bytes() const;

 private:
  std::string dest_, tmp_;
  std::vector<std::string> companions_;
  bool committed_ = false;
};

// fsync a file or folder by path; throws on failure.
void fsync_path(const std::string& path);

}  // namespace bb
