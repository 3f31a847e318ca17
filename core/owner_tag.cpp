// Owner tags: pid + start time from /proc.
#include "core/owner_tag.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace bb {
namespace {

// Field 22 (starttime) of /proc/PID/stat; empty when the process is gone.
std::string start_time_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string s;
  if (!std::getline(in, s)) return "";
  // "pid (comm) state ...": comm may hold spaces and ')'; fields resume after the last ')'.
  auto rp = s.rfind(')');
  if (rp == std::string::npos) return "";
  std::istringstream rest(s.substr(rp + 1));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return field;
  return "";
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::string owner_tag() { return fmt::format("{}-{}", getpid(), start_time_of(getpid())); }

std::optional<std::string> owner_tag_of(std::string_view name) {
  auto d1 = name.find('-');
  if (d1 == std::string_view::npos) return std::nullopt;
  auto d2 = name.find('-', d1 + 1);
  std::string_view pid = name.substr(0, d1);
  std::string_view start = name.substr(d1 + 1, d2 == std::string_view::npos ? std::string_view::npos : d2 - d1 - 1);
  if (!all_digits(pid) || !all_digits(start)) return std::nullopt;
  return std::string(name.substr(0, d2));
}

bool owner_alive(std::string_view tag) {
  auto d = tag.find('-');
  if (d == std::string_view::npos || !all_digits(tag.substr(0, d))) return false;
  const pid_t pid = static_cast<pid_t>(std::stol(std::string(tag.substr(0, d))));
  const std::string start = start_time_of(pid);
  return !start.empty() && start == tag.substr(d + 1);
}

}  // namespace bb
