// Helpers for the validator's test suites: building ledger snapshots, breaking
// them, and checking a verdict through both validate_snapshot() and the binary.
#pragma once
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "core/sqlite_db.h"
#include "tests/test_support.h"
#include "validation/validator.h"
#include "workloads/workload.h"

namespace bb::vtest {

namespace fs = std::filesystem;
inline constexpr const char* kSidecars[] = {"-wal", "-journal"};

inline std::string quote(const std::string& s) { return test::sh_quote(s); }

// Runs the real binary under a time limit, so a hang fails the test (exit 124)
// instead of stalling the suite.
inline test::CmdResult run_validate(const std::vector<std::string>& args) {
  std::string cmd = fmt::format("timeout 60 {} validate", quote(BB_BINARY));
  for (auto& a : args) {
    cmd.push_back(' ');
    cmd.append(quote(a));
  }
  return test::run_sh(cmd);
}

inline std::string with(const std::string& p, const char* suffix) {
  std::string s = p;
  s.append(suffix);
  return s;
}

inline void copy_file(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// Copies a snapshot and whichever sidecars it has.
inline void copy_snapshot(const std::string& from, const std::string& to) {
  copy_file(from, to);
  for (auto s : kSidecars)
    if (fs::exists(with(from, s))) copy_file(with(from, s), with(to, s));
}

inline void write_bytes(const std::string& path, const std::string& bytes, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(path, std::ios::binary | std::ios::out | mode);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

inline std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = char(rng() & 0xff);
  return s;
}

// Builds a ledger database with `transfers` committed transfers.
inline void build_ledger(const std::string& path, int transfers) {
  auto w = find_workload("ledger")->make();
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("PRAGMA synchronous=OFF");  // no fsync per commit: the bytes are the same, the suite faster
  w->populate(db, {512 << 10, 1});
  auto tx = w->writer(db, 0);
  Rng rng(7);
  for (int i = 0; i < transfers; ++i) tx->run(rng);
}

// Reverts transfer `seq`'s effect on the balances and deletes its row.
inline void unapply_transfer(Db& db, int64_t seq) {
  db.exec(fmt::format("UPDATE accounts SET balance = balance + (SELECT amount FROM transfers WHERE seq = {0}) "
                      "WHERE id = (SELECT src FROM transfers WHERE seq = {0})",
                      seq));
  db.exec(fmt::format("UPDATE accounts SET balance = balance - (SELECT amount FROM transfers WHERE seq = {0}) "
                      "WHERE id = (SELECT dst FROM transfers WHERE seq = {0})",
                      seq));
  db.exec(fmt::format("DELETE FROM transfers WHERE seq = {}", seq));
}

// `want` is one status or alternatives separated by '|'.
inline bool status_matches(const std::string& got, const std::string& want) {
  size_t start = 0;
  while (true) {
    size_t bar = want.find('|', start);
    if (want.compare(start, bar == std::string::npos ? std::string::npos : bar - start, got) == 0) return true;
    if (bar == std::string::npos) return false;
    start = bar + 1;
  }
}

// What a verdict must look like; built fluently, e.g.
// Expect("STALE").min(300).detail({"stale"}).
struct Expect {
  explicit Expect(std::string status) : status_(std::move(status)) {}
  Expect& detail(std::vector<std::string> d) { detail_ = std::move(d); return *this; }
  Expect& workload(std::string w) { workload_ = std::move(w); return *this; }
  Expect& min(int64_t m) { min_ = m; return *this; }
  Expect& max(int64_t m) { max_ = m; return *this; }
  Expect& quick(bool q) { quick_ = q; return *this; }
  Expect& seq(int64_t s) { seq_ = s; return *this; }
  Expect& checks(std::vector<std::pair<std::string, nlohmann::json>> c) { checks_ = std::move(c); return *this; }

  std::string status_;                // one status, or alternatives separated by '|'
  std::vector<std::string> detail_;   // substrings the detail must contain
  std::string workload_ = "ledger";
  std::optional<int64_t> min_, max_;
  bool quick_ = false;
  std::optional<int64_t> seq_;        // expected snapshot_seq
  std::vector<std::pair<std::string, nlohmann::json>> checks_;  // expected check values
};

// Every file in a folder, by name, with its bytes: validating must leave it
// exactly as it was (no file changed, added or removed).
inline std::map<std::string, std::string> folder_state(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (auto& e : fs::directory_iterator(dir)) files[e.path().filename().string()] = test::read_file(e.path().string());
  return files;
}

// Names the files that differ between two folder states, or "" when none does.
inline std::string changed_files(const std::map<std::string, std::string>& before,
                                 const std::map<std::string, std::string>& after) {
  std::string out;
  for (auto& [n, bytes] : before) {
    auto it = after.find(n);
    if (it == after.end()) out += n + " removed; ";
    else if (it->second != bytes) out += n + " changed; ";
  }
  for (auto& [n, bytes] : after)
    if (!before.count(n)) out += n + " added; ";
  return out;
}

// Validates `snapshot` both in-process and with the binary (each on its own copy
// of the snapshot and its sidecars), checks the verdict against `e`, and checks
// that validating changed none of those files. Returns the binary's JSON.
inline nlohmann::json expect_verdict(const std::string& snapshot, const Expect& e) {
  SCOPED_TRACE(snapshot);
  test::TempDir a, b;
  std::string name = fs::path(snapshot).filename().string();
  std::string lib = a / name, bin = b / name;
  copy_snapshot(snapshot, lib);
  copy_snapshot(snapshot, bin);
  auto before = folder_state(a.path());

  std::unique_ptr<Workload> w;
  if (e.workload_ != "none") w = find_workload(e.workload_)->make();
  Verdict v = validate_snapshot(lib, w.get(), {e.min_, e.max_}, {e.quick_});
  EXPECT_TRUE(status_matches(to_string(v.status), e.status_)) << to_string(v.status) << ": " << v.detail;
  for (auto& d : e.detail_) EXPECT_NE(v.detail.find(d), std::string::npos) << "'" << d << "' not in: " << v.detail;
  if (e.seq_) {
    EXPECT_EQ(v.snapshot_seq, *e.seq_);
  }
  for (auto& [k, want] : e.checks_) EXPECT_EQ(v.checks[k], want) << k << " in " << v.checks.dump();
  EXPECT_EQ(changed_files(before, folder_state(a.path())), "") << "validate_snapshot() changed the snapshot's files";

  std::vector<std::string> args{"--workload", e.workload_};
  if (e.min_) args.insert(args.end(), {"--committed-min", std::to_string(*e.min_)});
  if (e.max_) args.insert(args.end(), {"--committed-max", std::to_string(*e.max_)});
  if (e.quick_) args.push_back("--quick");
  args.push_back(bin);
  auto r = run_validate(args);
  EXPECT_EQ(r.code, e.status_ == "OK" ? 0 : 1) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(changed_files(before, folder_state(b.path())), "") << "`validate` changed the snapshot's files";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << r.out << r.err;
    return j;
  }
  EXPECT_TRUE(status_matches(j["status"].get<std::string>(), e.status_)) << j.dump(2);
  EXPECT_EQ(j["status"], v.status) << "library and binary disagree";
  std::string detail = j["detail"].get<std::string>();
  for (auto& d : e.detail_) EXPECT_NE(detail.find(d), std::string::npos) << "'" << d << "' not in: " << detail;
  if (e.seq_) {
    EXPECT_EQ(j["snapshot_seq"], *e.seq_);
  }
  for (auto& [k, want] : e.checks_) EXPECT_EQ(j["checks"][k], want) << k << " in " << j["checks"].dump();
  EXPECT_TRUE(j["timings_ms"].contains("total")) << j.dump(2);
  return j;
}


}  // namespace bb::vtest
