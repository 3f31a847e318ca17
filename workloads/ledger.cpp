// The ledger workload (product.md): accounts with balances, a gapless global
// sequence of transfers. Money is conserved, seq has no gaps, and replaying the
// transfers present reproduces every balance; a snapshot violating any of these
// is not a consistent copy.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "workloads/ledger.h"

namespace bb {
namespace {

constexpr int64_t kInitialBalance = 1000;
constexpr int kPayloadBytes = 200;     // rewritten on every transfer so pages change
constexpr int kRowOverheadBytes = 40;  // rough b-tree cost per account row

class LedgerWriter : public WriterTx {
 public:
  LedgerWriter(Db& db, int worker, int per_tx)
      : db_(db),
        worker_(worker),
        per_tx_(per_tx),
        accounts_(db.query_int("SELECT accounts FROM ledger_meta")),
        begin_(db, "BEGIN IMMEDIATE"),
        next_seq_(db, "SELECT coalesce(max(seq), 0) + 1 FROM transfers"),
        debit_(db, "UPDATE accounts SET balance = balance - ?1, payload = randomblob(?2) WHERE id = ?3"),
        credit_(db, "UPDATE accounts SET balance = balance + ?1, payload = randomblob(?2) WHERE id = ?3"),
        insert_(db, "INSERT INTO transfers(seq, writer, src, dst, amount) VALUES (?1, ?2, ?3, ?4, ?5)"),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  // One transaction of per_tx_ transfers with consecutive seqs; returns the last.
  int64_t run(Rng& rng) override {
    return in_transaction(db_, begin_, commit_, rollback_, [&] {
      int64_t seq = next_seq_.one_int();
      for (int i = 0; i < per_tx_; ++i, ++seq) {
        int64_t src = int64_t(rng() % uint64_t(accounts_)) + 1;
        int64_t dst = int64_t(rng() % uint64_t(accounts_ - 1)) + 1;
        if (dst >= src) ++dst;  // distinct accounts
        int64_t amount = int64_t(rng() % 100) + 1;
        debit_.bind(1, amount).bind(2, kPayloadBytes).bind(3, src).run();
        credit_.bind(1, amount).bind(2, kPayloadBytes).bind(3, dst).run();
        insert_.bind(1, seq).bind(2, worker_).bind(3, src).bind(4, dst).bind(5, amount).run();
      }
      return seq - 1;
    });
  }

 private:
  Db& db_;
  int worker_;
  int per_tx_;
  int64_t accounts_;
  Stmt begin_, next_seq_, debit_, credit_, insert_, commit_, rollback_;
};

// scan: the balance sum over every account (a full scan; money is conserved).
// lookup: a few accounts by id and the newest 100 transfers (their seqs have no
// gap).
class LedgerReader : public ReaderTx {
 public:
  LedgerReader(Db& db, ReaderShape shape)
      : db_(db),
        shape_(shape),
        expected_(db.query_int("SELECT accounts * initial_balance FROM ledger_meta")),
        accounts_(db.query_int("SELECT accounts FROM ledger_meta")),
        begin_(db, "BEGIN"),
        sum_(db, "SELECT sum(balance) FROM accounts"),
        account_(db, "SELECT balance FROM accounts WHERE id = ?1"),
        recent_(db, "SELECT count(*), coalesce(max(seq), 0) FROM transfers "
                    "WHERE seq > (SELECT coalesce(max(seq), 0) FROM transfers) - 100"),
        commit_(db, "COMMIT"),
        rollback_(db, "ROLLBACK") {}

  void run(Rng& rng) override {
    in_transaction(db_, begin_, commit_, rollback_, [&] {
      if (shape_ == ReaderShape::kScan) {
        int64_t total = sum_.one_int();
        if (total != expected_)
          throw InvariantBroken(fmt::format("reader saw balance sum {} (expected {})", total, expected_));
        return 0;
      }
      for (int i = 0; i < 5; ++i) account_.bind(1, int64_t(rng() % uint64_t(accounts_)) + 1).one_int();
      recent_.step();
      int64_t n = recent_.col_int(0), hi = recent_.col_int(1);
      recent_.reset();
      if (n != std::min<int64_t>(100, hi))
        throw InvariantBroken(fmt::format("reader saw {} of the newest 100 transfers up to seq {}", n, hi));
      return 0;
    });
  }

 private:
  Db& db_;
  ReaderShape shape_;
  int64_t expected_;
  int64_t accounts_;
  Stmt begin_, sum_, account_, recent_, commit_, rollback_;
};

class Ledger : public Workload {
 public:
  explicit Ledger(int per_tx) : per_tx_(per_tx) {}

  void fill(Db& db, const PopulateParams& p) override {
    int64_t n = std::max<int64_t>(2, p.db_bytes / (kPayloadBytes + kRowOverheadBytes));
    db.exec(R"(
      CREATE TABLE ledger_meta(accounts INTEGER NOT NULL, initial_balance INTEGER NOT NULL);
      CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL, payload BLOB);
      CREATE TABLE transfers(seq INTEGER PRIMARY KEY, writer INTEGER NOT NULL,
                             src INTEGER NOT NULL, dst INTEGER NOT NULL, amount INTEGER NOT NULL);)");
    db.exec("BEGIN");
    db.exec(fmt::format("INSERT INTO ledger_meta VALUES ({}, {})", n, kInitialBalance));
    db.exec(fmt::format(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
        "INSERT INTO accounts SELECT i, {}, seeded_blob({}, i) FROM n",
        n, kInitialBalance, kPayloadBytes));
    db.exec("COMMIT");
  }

  std::unique_ptr<WriterTx> writer(Db& db, int worker) override {
    return std::make_unique<LedgerWriter>(db, worker, per_tx_);
  }
  std::unique_ptr<ReaderTx> reader(Db& db, int, ReaderShape shape) override {
    return std::make_unique<LedgerReader>(db, shape);
  }
  std::vector<std::string> checks() const override { return {"balance_sum", "seq_gapless", "replay"}; }

  InvariantReport check(Db& db) override {
    InvariantReport r;
    std::vector<std::string> problems;
    int64_t accounts = 0, initial = 0;
    {
      Stmt meta(db, "SELECT rowid, accounts, typeof(accounts), quote(accounts), initial_balance, "
                    "typeof(initial_balance), quote(initial_balance) FROM ledger_meta");
      if (!meta.step()) throw InvariantBroken("ledger_meta is empty");
      // Every check is judged against these two numbers: a NULL or text read as 0
      // would give "expected 0 over 0" with no hint of the real problem.
      for (int col : {1, 4})
        if (meta.col_text(col + 1) != "integer")
          throw InvariantBroken(fmt::format("ledger_meta row {}: {} is {} ({}), not an integer", meta.col_int(0),
                                            col == 1 ? "accounts" : "initial_balance", meta.col_text(col + 2),
                                            meta.col_text(col + 1)));
      accounts = meta.col_int(1);
      initial = meta.col_int(4);
    }
    // Money is conserved.
    Stmt sum(db, "SELECT count(*), coalesce(sum(balance), 0) FROM accounts");
    sum.step();
    int64_t rows = sum.col_int(0), total = sum.col_int(1);
    bool sum_ok = rows == accounts && total == accounts * initial;
    if (!sum_ok)
      problems.push_back(fmt::format("balance sum {} over {} accounts, expected {} over {}", total, rows,
                                     accounts * initial, accounts));
    // seq is 1..k without gaps.
    Stmt seqs(db, "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM transfers");
    seqs.step();
    int64_t count = seqs.col_int(0), lo = seqs.col_int(1), hi = seqs.col_int(2);
    r.last_seq = hi;
    bool gapless = count == hi && (count == 0 || lo == 1);
    if (!gapless) {
      int64_t missing = lo > 1 ? 1
                               : db.query_int("SELECT t.seq + 1 FROM transfers t WHERE t.seq < "
                                              "(SELECT max(seq) FROM transfers) AND NOT EXISTS "
                                              "(SELECT 1 FROM transfers u WHERE u.seq = t.seq + 1) "
                                              "ORDER BY t.seq LIMIT 1",
                                              -1);
      problems.push_back(fmt::format("transfers seq not gapless: {} rows, seq {}..{}, first missing seq {}",
                                     count, lo, hi, missing));
    }
    // Replay: every balance equals initial + credits - debits of the transfers
    // present. Aggregated inside SQLite, which spills to temporary files, so
    // memory stays flat however large the ledger is.
    Stmt replay(db, fmt::format(R"(
      WITH d(id, delta) AS (SELECT dst, amount FROM transfers UNION ALL SELECT src, -amount FROM transfers),
           net AS (SELECT id, sum(delta) AS v FROM d GROUP BY id)
      SELECT a.id, a.balance, {0} + coalesce(net.v, 0), typeof(a.balance), quote(a.balance)
      FROM accounts a LEFT JOIN net ON net.id = a.id
      WHERE a.balance != {0} + coalesce(net.v, 0) OR typeof(a.balance) != 'integer' LIMIT 3)",
                                initial));
    std::vector<std::string> bad;
    while (replay.step()) {
      // A text balance reads as its leading digits: "has 1000 but replay gives
      // 1000" would hide that its type is the problem.
      if (replay.col_text(3) != "integer")
        bad.push_back(fmt::format("account {} has a {} balance {}, not an integer (replay gives {})",
                                  replay.col_int(0), replay.col_text(3), replay.col_text(4), replay.col_int(2)));
      else
        bad.push_back(fmt::format("account {} has {} but replay gives {}", replay.col_int(0), replay.col_int(1),
                                  replay.col_int(2)));
    }
    bool replay_ok = bad.empty();
    if (!replay_ok) problems.push_back("replay mismatch: " + fmt::format("{}", fmt::join(bad, "; ")));
    r.checks = {{"balance_sum", sum_ok}, {"seq_gapless", gapless}, {"replay", replay_ok}};
    r.detail = fmt::format("{}", fmt::join(problems, "; "));
    return r;
  }

 private:
  int per_tx_;
};

const bool registered = register_workload(
    {"ledger", "accounts and gapless transfers, one per transaction; checks balance sum, seq 1..k, replay",
     [] { return make_ledger(1); }, "ledger_meta"});

}  // namespace

std::unique_ptr<Workload> make_ledger(int transfers_per_tx) { return std::make_unique<Ledger>(transfers_per_tx); }

}  // namespace bb
