// kill-writer: SIGKILL to writer 0 inside a transaction (docs/faults.md). Its
// death is expected; its last samples die with it and its transaction in
// flight may have committed or not, so the freshness bounds of the snapshot
// and of the source widen by the expected state it left in shared memory.
#include <fmt/format.h>

#include <algorithm>

#include "driver/fault.h"
#include "driver/load.h"

namespace bb {
namespace {

class KillWriter final : public Fault {
 public:
  explicit KillWriter(const Cell& c) : writers_(int(c.writers)) {}

  void strike(Strike& s) override {
    // Caught inside a transaction if it can be; past the deadline, between two.
    if (!s.stop_in_transaction().has_value() || !s.kill()) return;
    const WorkerSlot& w = s.state().workers[s.slot()];
    s.mid_transaction = w.in_tx.load() != 0;
    s.detail = fmt::format("SIGKILL to {} {} (its last returned COMMIT: seq {})", s.who(),
                           *s.mid_transaction ? "inside a transaction" : "between transactions",
                           w.last_committed_seq.load());
  }

  FreshnessBounds widen(FreshnessBounds bounds, Load& load) const override {
    if (!load.deaths().count(0)) return bounds;
    const WorkerSlot& w = load.state().workers[0];
    // Its lost samples are all at or below its last returned COMMIT; a
    // transaction in flight, if it committed, is above every recorded one (by
    // an unknown amount when no step between commits was recorded).
    int64_t hi = std::max(bounds.max.value_or(0), w.last_committed_seq.load());
    if (w.in_tx.load()) {
      const auto [committed, span] = committed_and_span(load, writers_);
      if (span == 0) return {bounds.min, std::nullopt};
      hi = std::max(hi, committed + span);
    }
    bounds.max = hi;
    return bounds;
  }

  void after_trial(FaultRecord& f, TrialResult& t) override {
    if (f.injected && !t.load.steady)
      t.load.reason += "; writer 0 was killed by the nemesis, and its samples not yet written with it";
  }

 private:
  int writers_;
};

const bool registered = register_fault({
    .name = "kill-writer",
    .description = "SIGKILL to writer 0 inside a transaction (its transaction in flight may commit or not)",
    .aim = FaultAim::kWriter,
    .kills = true,
    .make = [](const FaultOptions&, const Cell& c) { return std::make_unique<KillWriter>(c); },
});

}  // namespace
}  // namespace bb
