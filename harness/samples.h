// Per-operation samples recorded by worker processes and read back by the driver.
// A writer records one Sample per committed transaction; a reader one per query.
// Files are raw arrays of Sample (native endianness: same machine, same binary).
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

// Append-only buffer sized up front so recording in the hot loop does not allocate.
class SampleLog {
 public:
  explicit SampleLog(size_t reserve = 1 << 20) { v_.reserve(reserve); }
  void record(const Sample& s) { v_.push_back(s); }
  const std::vector<Sample>& samples() const { return v_; }
  void write(const std::string& path) const;

 private:
  std::vector<Sample> v_;
};

std::vector<Sample> read_samples(const std::string& path);

}  // namespace bb
