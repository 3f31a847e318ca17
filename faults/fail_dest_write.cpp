// fail-dest-write: the destination's writes reaching past fault_write_limit_kb
// of any file fail with EIO (docs/faults.md): the backup must fail with the
// real reason and leave nothing.
#include "faults/fail_dest.h"

namespace bb {
namespace {

const bool registered = register_fault({
    .name = "fail-dest-write",
    .description = "the destination on a FUSE filesystem whose writes past fault_write_limit_kb fail with EIO",
    .aim = FaultAim::kDestination,
    .from_start = true,
    .make = [](const FaultOptions& s, const Cell&) {
      return std::make_unique<FailDest>(s.write_limit_kb * 1024, false);
    },
});

}  // namespace
}  // namespace bb
