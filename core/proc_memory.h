// How much memory a process uses, as the kernel counts it (/proc/PID/status):
// anonymous memory (its own heap and stacks), file-backed resident pages (an
// mmap of the database counts here: the page cache's, not the process's own),
// shared memory, and the peak resident size.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace bb {

struct MemoryUse {
  int64_t rss_anon = 0, rss_file = 0, rss_shmem = 0, vm_hwm = 0;  // bytes
};
// Empty when the process is gone.
std::optional<MemoryUse> memory_of(pid_t pid);
// A child of this process: empty also while it has not exec'd yet. Between
// fork and exec it shows this process's memory (shared copy-on-write), which
// is not its own.
std::optional<MemoryUse> memory_of_child(pid_t pid);

// The largest of each figure seen over several samples (and processes).
struct MemoryPeak {
  int64_t anon = 0, file = 0, shmem = 0, hwm = 0;
  int samples = 0;
  void add(const MemoryUse& m);
};
void to_json(nlohmann::json& j, const MemoryPeak& p);

}  // namespace bb
