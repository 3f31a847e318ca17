// Per-operation samples recorded by worker processes and read back by the driver.
// A writer records one Sample per committed transaction; a reader one per query.
// Files are raw arrays of Sample (native endianness: same machine, same binary),
// written as the worker goes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bb {

struct Sample {
  int64_t seq;        // writers: the committed transfer's seq; readers: 0
  int64_t intended;   // when the operation was scheduled (== start when closed-loop)
  int64_t start;      // when it actually began (first attempt)
  int64_t end;        // when COMMIT (or the read transaction) returned
  int32_t worker;     // worker index
  int32_t attempts;   // 1 + BUSY retries
};

// The database's and its -wal's sizes at one moment, sampled by the driver while
// the load runs.
struct SizeSample {
  int64_t t;    // ns
  int64_t wal;  // bytes of -wal (0 when absent)
  int64_t db;   // bytes of the database file
};

// Streams samples to a file in fixed-size chunks, so a worker's memory does not
// grow with the run's length: record() only copies into a preallocated buffer;
// a full buffer is written out with one write(). close() (or the destructor)
// writes the rest; write errors throw from record()/close().
class SampleWriter {
 public:
  static constexpr size_t kChunk = 4096;  // samples per write (160 KiB)
  explicit SampleWriter(const std::string& path);
  ~SampleWriter();
  SampleWriter(const SampleWriter&) = delete;
  SampleWriter& operator=(const SampleWriter&) = delete;
  void record(const Sample& s) {
    buf_[n_++] = s;
    if (n_ == kChunk) flush();
  }
  void close();
  int64_t written() const { return written_; }

 private:
  void flush();
  std::string path_;
  int fd_ = -1;
  std::vector<Sample> buf_;
  size_t n_ = 0;
  int64_t written_ = 0;
};

// Appends the samples of a worker's file to `into`, which grows once, by the
// file's count: the driver holds every sample of a trial (40 bytes each), not
// that and a second copy. Returns how many were read.
size_t append_samples(const std::string& path, std::vector<Sample>& into);

}  // namespace bb
