// Names that carry the identity of the process that made them (pid and start
// time), so whoever finds a leftover -- a mount, an image, a snapshot -- can tell
// whether its maker is still running. The start time guards against pid reuse.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace bb {

// "<pid>-<start>" of this process (start: field 22 of /proc/PID/stat, clock
// ticks since boot).
std::string owner_tag();

// The tag at the start of `name` ("<pid>-<start>" followed by '-' or the end),
// if there is one.
std::optional<std::string> owner_tag_of(std::string_view name);

// Whether the process a tag names is running (same pid, same start time).
bool owner_alive(std::string_view tag);

}  // namespace bb
