// Reading /proc/PID/status.
#include "core/proc_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

namespace bb {

namespace {
std::string cmdline_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/cmdline", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

std::optional<MemoryUse> memory_of_child(pid_t pid) {
  static const std::string mine = cmdline_of("self");
  if (cmdline_of(std::to_string(pid)) == mine) return std::nullopt;
  return memory_of(pid);
}

std::optional<MemoryUse> memory_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  if (!in) return std::nullopt;
  MemoryUse m;
  std::string key;
  int64_t kb = 0;
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    key = line.substr(0, colon);
    int64_t* into = key == "RssAnon" ? &m.rss_anon : key == "RssFile" ? &m.rss_file
                    : key == "RssShmem" ? &m.rss_shmem : key == "VmHWM" ? &m.vm_hwm : nullptr;
    if (!into) continue;
    kb = std::atoll(line.c_str() + colon + 1);
    *into = kb * 1024;
  }
  return m;
}

void MemoryPeak::add(const MemoryUse& m) {
  anon = std::max(anon, m.rss_anon);
  file = std::max(file, m.rss_file);
  shmem = std::max(shmem, m.rss_shmem);
  hwm = std::max(hwm, m.vm_hwm);
  ++samples;
}

void to_json(nlohmann::json& j, const MemoryPeak& p) {
  j = {{"peak_anon_bytes", p.anon},
       {"peak_file_bytes", p.file},
       {"peak_shmem_bytes", p.shmem},
       {"peak_rss_bytes", p.hwm},
       {"samples", p.samples}};
}

}  // namespace bb
