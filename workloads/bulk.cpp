// `bulk`: the ledger with large transactions (200 transfers each), which hold the
// write lock for long; same schema and invariants as the ledger.
#include "workloads/ledger.h"

namespace bb {
namespace {

constexpr int kTransfersPerTx = 200;

const bool registered = register_workload(
    {"bulk", "ledger with 200 transfers per transaction (long write locks); ledger invariants",
     [] { return make_ledger(kTransfersPerTx); }, ""});

}  // namespace
}  // namespace bb
