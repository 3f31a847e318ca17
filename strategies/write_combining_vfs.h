// A pass-through SQLite VFS for private destination files that merges
// consecutive page writes into large writes. A backup writes its destination
// page by page, in order; one write() per page costs a system call each, where a
// plain file copy moves megabytes per call. Only for files no other connection
// opens (the destination before its rename): reads see the merged writes because
// the buffer is flushed before any read, sync, truncate, size query or close.
#pragma once

namespace bb {

// Registers the VFS once (not as the default) and returns its name.
const char* write_combining_vfs();

}  // namespace bb
