// /proc scan for open files of one database.
#include "core/holders.h"

#include "core/files.h"

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace bb {

static std::string cmdline_of(const fs::path& proc) {
  std::ifstream in(proc / "cmdline", std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  for (auto& ch : s)
    if (ch == '\0') ch = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

static int fd_flags(const fs::path& proc, const std::string& fd) {
  std::ifstream in(proc / "fdinfo" / fd);
  std::string key;
  while (in >> key) {
    if (key == "flags:") {
      std::string v;
      in >> v;
      return int(std::stol(v, nullptr, 8));
    }
  }
  return 0;
}

std::vector<Holder> find_holders(const std::string& db) {
  std::error_code ec;
  fs::path base = fs::weakly_canonical(db, ec);
  std::vector<std::string> targets;
  targets.push_back(base.string());
  for (auto side : kSidecars) targets.push_back(with_suffix(base.string(), side));
  std::vector<Holder> out;
  for (auto& p : fs::directory_iterator("/proc", ec)) {
    std::string name = p.path().filename().string();
    if (name.empty() || !std::isdigit((unsigned char)name[0])) continue;
    std::error_code ec2;
    for (auto& fd : fs::directory_iterator(p.path() / "fd", ec2)) {
      std::error_code ec3;
      auto link = fs::read_symlink(fd.path(), ec3).string();
      if (ec3) continue;
      for (auto& t : targets) {
        if (link != t) continue;
        int fl = fd_flags(p.path(), fd.path().filename().string());
        Holder h{std::stoi(name), cmdline_of(p.path()), t,
                 (fl & O_ACCMODE) == O_RDONLY ? "read" : "read/write"};
        bool dup = false;
        for (auto& o : out) dup |= o.pid == h.pid && o.file == h.file;
        if (!dup) out.push_back(h);
      }
    }
  }
  return out;
}

}  // namespace bb
