// `append`: insert-only growth, so the database grows while the backup runs.
// Invariants: event seq 1..k without gaps; the running totals row matches the
// events present (count and bytes); every payload has its recorded size.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "workloads/workload.h"

namespace bb {
namespace {

constexpr int kPopulatePayload = 1000;

class AppendWriter : public WriterTx {
 public:
  AppendWriter(Db& db, int worker)
      : db_(db),
        worker_(worker),
        begin_(db, "BEGIN IMMEDIATE"),
        next_seq_(db, "SELECT coalesce(max(seq), 0) + 1 FROM events"),
        insert_(db, "INSERT INTO events(seq, writer, size, payload) VALUES (?1, ?2, ?3, randomblob(?3))"),
        totals_(db, "UPDATE append_meta SET rows = rows + 1, bytes = bytes + ?1"),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  int64_t run(Rng& rng) override {
    int64_t size = 500 + int64_t(rng() % 3500);
    return in_transaction(db_, begin_, commit_, rollback_, [&] {
      int64_t seq = next_seq_.one_int();
      insert_.bind(1, seq).bind(2, worker_).bind(3, size).run();
      totals_.bind(1, size).run();
      return seq;
    });
  }

 private:
  Db& db_;
  int worker_;
  Stmt begin_, next_seq_, insert_, totals_, commit_, rollback_;
};

// scan: the events' count and bytes against append_meta's totals (a full scan).
// lookup: one random event by seq, whose payload has its recorded size.
class AppendReader : public ReaderTx {
 public:
  AppendReader(Db& db, ReaderShape shape)
      : db_(db),
        shape_(shape),
        begin_(db, "BEGIN"),
        check_(db, "SELECT (SELECT count(*) FROM events) = rows AND (SELECT sum(size) FROM events) = bytes "
                   "FROM append_meta"),
        max_(db, "SELECT coalesce(max(seq), 0) FROM events"),
        event_(db, "SELECT coalesce((SELECT length(payload) = size FROM events WHERE seq = ?1), 1)"),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  void run(Rng& rng) override {
    in_transaction(db_, begin_, commit_, rollback_, [&] {
      if (shape_ == ReaderShape::kScan) {
        if (check_.one_int() != 1) throw InvariantBroken("reader saw events that do not match append_meta's totals");
        return 0;
      }
      int64_t hi = max_.one_int();
      if (hi > 0 && event_.bind(1, int64_t(rng() % uint64_t(hi)) + 1).one_int() != 1)
        throw InvariantBroken("reader saw an event whose payload is not its recorded size");
      return 0;
    });
  }

 private:
  Db& db_;
  ReaderShape shape_;
  Stmt begin_, check_, max_, event_, commit_, rollback_;
};

class Append : public Workload {
 public:
  void fill(Db& db, const PopulateParams& p) override {
    int64_t n = std::max<int64_t>(1, p.db_bytes / (kPopulatePayload + 40));
    db.exec(R"(
      CREATE TABLE append_meta(rows INTEGER NOT NULL, bytes INTEGER NOT NULL);
      CREATE TABLE events(seq INTEGER PRIMARY KEY, writer INTEGER NOT NULL, size INTEGER NOT NULL,
                          payload BLOB NOT NULL);)");
    db.exec("BEGIN");
    db.exec(fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {0}) "
                        "INSERT INTO events SELECT i, -1, {1}, seeded_blob({1}, i) FROM n",
                        n, kPopulatePayload));
    db.exec(fmt::format("INSERT INTO append_meta VALUES ({}, {})", n, n * kPopulatePayload));
    db.exec("COMMIT");
  }

  std::unique_ptr<WriterTx> writer(Db& db, int worker) override { return std::make_unique<AppendWriter>(db, worker); }
  std::unique_ptr<ReaderTx> reader(Db& db, int, ReaderShape shape) override {
    return std::make_unique<AppendReader>(db, shape);
  }
  std::vector<std::string> checks() const override { return {"seq_gapless", "totals", "payload_sizes"}; }

  InvariantReport check(Db& db) override {
    InvariantReport r;
    std::vector<std::string> problems;
    Stmt st(db, "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0), coalesce(sum(size), 0), "
                "coalesce(sum(length(payload) != size), 0) FROM events");
    st.step();
    int64_t count = st.col_int(0), lo = st.col_int(1), hi = st.col_int(2), bytes = st.col_int(3),
            bad_sizes = st.col_int(4);
    Stmt meta(db, "SELECT rows, bytes FROM append_meta");
    if (!meta.step()) throw InvariantBroken("append_meta is empty");
    int64_t mrows = meta.col_int(0), mbytes = meta.col_int(1);
    r.last_seq = hi;
    bool gapless = count == hi && (count == 0 || lo == 1);
    if (!gapless) problems.push_back(fmt::format("events seq not gapless: {} rows, seq {}..{}", count, lo, hi));
    bool totals = count == mrows && bytes == mbytes;
    if (!totals)
      problems.push_back(fmt::format("totals: {} events of {} bytes, append_meta says {} of {}", count, bytes,
                                     mrows, mbytes));
    if (bad_sizes) problems.push_back(fmt::format("{} events whose payload is not their recorded size", bad_sizes));
    r.checks = {{"seq_gapless", gapless}, {"totals", totals}, {"payload_sizes", bad_sizes == 0}};
    r.detail = fmt::format("{}", fmt::join(problems, "; "));
    return r;
  }
};

const bool registered = register_workload(
    {"append", "insert-only growth (the database grows during the backup); checks seq 1..k, totals, sizes",
     [] { return std::make_unique<Append>(); }, "append_meta"});

}  // namespace
}  // namespace bb
