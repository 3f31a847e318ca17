// Host, build and SQLite facts for the results' context block.
#include "core/context.h"

#include <sqlite3.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <thread>

namespace bb {

std::string sqlite_version() { return sqlite3_libversion(); }

bool unoptimised_build() {
#if defined(__OPTIMIZE__)
  return BB_SANITIZED;
#else
  return true;
#endif
}

static std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

static std::string fs_type(const std::string& dir) {
  struct statfs sb;
  if (statfs(dir.c_str(), &sb) != 0) return "unknown";
  static const std::map<long, std::string> names{{0xEF53, "ext4"},       {0x58465342, "xfs"},
                                                 {0x9123683E, "btrfs"},  {0x01021994, "tmpfs"},
                                                 {0x794c7630, "overlayfs"}, {0x2fc12fc1, "zfs"},
                                                 {0x6969, "nfs"},        {0x65735546, "fuse"}};
  auto it = names.find(long(sb.f_type));
  return it != names.end() ? it->second : "0x" + [&] {
    char b[32];
    snprintf(b, sizeof b, "%lx", long(sb.f_type));
    return std::string(b);
  }();
}

nlohmann::json host_context(const std::string& run_dir) {
  utsname u{};
  uname(&u);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  nlohmann::json opts = nlohmann::json::array();
  for (int i = 0; const char* o = sqlite3_compileoption_get(i); ++i) opts.push_back(o);
  return {{"hostname", host},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"cpu", cpu_model()},
          {"cores", std::thread::hardware_concurrency()},
          {"memory_bytes", int64_t(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE)},
          {"filesystem", fs_type(run_dir)},
          {"compiler", __VERSION__},
          {"build_type", BB_BUILD_TYPE},
          {"sanitizers", bool(BB_SANITIZED)},
          {"optimised", !unoptimised_build()},
          {"sqlite_version", sqlite_version()},
          {"sqlite_source_id", sqlite3_sourceid()},
          {"sqlite_compile_options", opts}};
}

}  // namespace bb
