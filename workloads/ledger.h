// The ledger workload, shared with its variants (bulk: many transfers per
// transaction, so the write lock is held long).
#pragma once
#include <memory>

#include "workloads/workload.h"

namespace bb {

std::unique_ptr<Workload> make_ledger(int transfers_per_tx);

}  // namespace bb
