// kill-reader: SIGKILL to reader 0 while the backup runs (docs/faults.md): a
// reader's death must disturb neither the backup nor the source.
#include <fmt/format.h>

#include "driver/fault.h"

namespace bb {
namespace {

class KillReader final : public Fault {
 public:
  void strike(Strike& s) override {
    if (s.kill()) s.detail = fmt::format("SIGKILL to {}", s.who());
  }
};

const bool registered = register_fault({
    .name = "kill-reader",
    .description = "SIGKILL to reader 0",
    .aim = FaultAim::kReader,
    .kills = true,
    .make = [](const FaultOptions&, const Cell&) { return std::make_unique<KillReader>(); },
});

}  // namespace
}  // namespace bb
