// `churn`: every transaction deletes one item and inserts another of a different
// size, so free pages are reused all over the file. Invariants: log seq 1..k;
// the item count is constant; the items present are exactly the initial ones
// plus the inserted minus the deleted, as the log records them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "workloads/workload.h"

namespace bb {
namespace {

constexpr int kPopulatePayload = 2000;

class ChurnWriter : public WriterTx {
 public:
  ChurnWriter(Db& db, int worker)
      : db_(db),
        worker_(worker),
        items_(db.query_int("SELECT items FROM churn_meta")),
        begin_(db, "BEGIN IMMEDIATE"),
        next_seq_(db, "SELECT coalesce(max(seq), 0) + 1 FROM churn_log"),
        victim_(db, "SELECT coalesce((SELECT id FROM items WHERE id >= ?1 ORDER BY id LIMIT 1), "
                    "(SELECT min(id) FROM items))"),
        delete_(db, "DELETE FROM items WHERE id = ?1"),
        insert_(db, "INSERT INTO items(id, payload) VALUES (?1, randomblob(?2))"),
        log_(db, "INSERT INTO churn_log(seq, writer, deleted_id, inserted_id) VALUES (?1, ?2, ?3, ?4)"),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  int64_t run(Rng& rng) override {
    return in_transaction(db_, begin_, commit_, rollback_, [&] {
      int64_t seq = next_seq_.one_int();
      // Item ids run 1..items initially; the item inserted by seq s is items + s.
      int64_t victim = victim_.bind(1, int64_t(rng() % uint64_t(items_ + seq)) + 1).one_int();
      delete_.bind(1, victim).run();
      insert_.bind(1, items_ + seq).bind(2, 1000 + int64_t(rng() % 3000)).run();
      log_.bind(1, seq).bind(2, worker_).bind(3, victim).bind(4, items_ + seq).run();
      return seq;
    });
  }

 private:
  Db& db_;
  int worker_;
  int64_t items_;
  Stmt begin_, next_seq_, victim_, delete_, insert_, log_, commit_, rollback_;
};

// scan: the item count (a full scan; it is constant). lookup: one random item by
// id (present or not, it reads the b-tree).
class ChurnReader : public ReaderTx {
 public:
  ChurnReader(Db& db, ReaderShape shape)
      : db_(db),
        shape_(shape),
        items_(db.query_int("SELECT items FROM churn_meta")),
        begin_(db, "BEGIN"),
        count_(db, "SELECT count(*) FROM items"),
        item_(db, "SELECT coalesce((SELECT length(payload) FROM items WHERE id = ?1), 0)"),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  void run(Rng& rng) override {
    in_transaction(db_, begin_, commit_, rollback_, [&] {
      if (shape_ == ReaderShape::kScan) {
        int64_t n = count_.one_int();
        if (n != items_) throw InvariantBroken(fmt::format("reader saw {} items, expected {}", n, items_));
        return 0;
      }
      item_.bind(1, int64_t(rng() % uint64_t(2 * items_)) + 1).one_int();
      return 0;
    });
  }

 private:
  Db& db_;
  ReaderShape shape_;
  int64_t items_;
  Stmt begin_, count_, item_, commit_, rollback_;
};

class Churn : public Workload {
 public:
  void fill(Db& db, const PopulateParams& p) override {
    int64_t n = std::max<int64_t>(2, p.db_bytes / (kPopulatePayload + 40));
    db.exec(R"(
      CREATE TABLE churn_meta(items INTEGER NOT NULL);
      CREATE TABLE items(id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
      CREATE TABLE churn_log(seq INTEGER PRIMARY KEY, writer INTEGER NOT NULL,
                             deleted_id INTEGER NOT NULL, inserted_id INTEGER NOT NULL);)");
    db.exec("BEGIN");
    db.exec(fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {0}) "
                        "INSERT INTO items SELECT i, seeded_blob({1}, i) FROM n",
                        n, kPopulatePayload));
    db.exec(fmt::format("INSERT INTO churn_meta VALUES ({})", n));
    db.exec("COMMIT");
  }

  std::unique_ptr<WriterTx> writer(Db& db, int worker) override { return std::make_unique<ChurnWriter>(db, worker); }
  std::unique_ptr<ReaderTx> reader(Db& db, int, ReaderShape shape) override {
    return std::make_unique<ChurnReader>(db, shape);
  }
  std::vector<std::string> checks() const override { return {"seq_gapless", "item_count", "replay"}; }

  InvariantReport check(Db& db) override {
    InvariantReport r;
    std::vector<std::string> problems;
    int64_t items = db.query_int("SELECT items FROM churn_meta", -1);
    if (items < 0) throw InvariantBroken("churn_meta is empty");
    Stmt st(db, "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0), "
                "count(*) - count(DISTINCT deleted_id), coalesce(sum(inserted_id != ?1 + seq), 0) FROM churn_log");
    st.bind(1, items);
    st.step();
    int64_t count = st.col_int(0), lo = st.col_int(1), hi = st.col_int(2), dup_deletes = st.col_int(3),
            bad_ids = st.col_int(4);
    r.last_seq = hi;
    bool gapless = count == hi && (count == 0 || lo == 1);
    if (!gapless) problems.push_back(fmt::format("churn_log seq not gapless: {} rows, seq {}..{}", count, lo, hi));
    int64_t present = db.query_int("SELECT count(*) FROM items");
    bool count_ok = present == items;
    if (!count_ok) problems.push_back(fmt::format("{} items present, expected {}", present, items));
    // Present items must be initial or logged inserts, and never a logged delete.
    int64_t unknown = db.query_int(fmt::format(
        "SELECT count(*) FROM items WHERE id > {0} AND id - {0} NOT IN (SELECT seq FROM churn_log)", items));
    int64_t resurrected =
        db.query_int("SELECT count(*) FROM churn_log l JOIN items i ON i.id = l.deleted_id");
    bool replay = unknown == 0 && resurrected == 0 && dup_deletes == 0 && bad_ids == 0;
    if (!replay)
      problems.push_back(fmt::format("replay: {} items not in the log, {} deleted items present, {} items "
                                     "deleted twice, {} log rows with a wrong inserted id",
                                     unknown, resurrected, dup_deletes, bad_ids));
    r.checks = {{"seq_gapless", gapless}, {"item_count", count_ok}, {"replay", replay}};
    r.detail = fmt::format("{}", fmt::join(problems, "; "));
    return r;
  }
};

const bool registered = register_workload(
    {"churn", "delete + insert of varied sizes (free pages reused); checks seq 1..k, item count, replay",
     [] { return std::make_unique<Churn>(); }, "churn_meta"});

}  // namespace
}  // namespace bb
