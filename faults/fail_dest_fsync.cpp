// fail-dest-fsync: every fsync/fdatasync (file or folder) at the destination
// fails with EIO (docs/faults.md): a backup that does not check its fsyncs would
// call a snapshot durable that is not.
#include "faults/fail_dest.h"

namespace bb {
namespace {

const bool registered = register_fault({
    .name = "fail-dest-fsync",
    .description = "the destination on a FUSE filesystem whose every fsync/fdatasync fails with EIO",
    .aim = FaultAim::kDestination,
    .from_start = true,
    .make = [](const FaultOptions&, const Cell&) { return std::make_unique<FailDest>(-1, true); },
});

}  // namespace
}  // namespace bb
