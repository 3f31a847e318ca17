// Mutated scenario files: every shipped scenario, changed at random (seeded, so
// a failure reproduces), must either check out or be refused with exit 2 and one
// line naming the problem -- never exit 3, a signal or a hang. `run --check`
// judges most of them without running anything; a few that pass are run for
// real with tiny trials.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "driver/scenario.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

constexpr int kMutations = 300;  // at least 200 (issue 11); each is one `run --check`
constexpr int kRealRuns = 3;     // of those that check out, run for real (tiny trials)
constexpr uint64_t kBaseSeed = 20240611;

// BB_FUZZ_SEED / BB_FUZZ_N / BB_FUZZ_REAL explore other seeds (and run more of
// them for real) by hand; CI runs the fixed ones.
uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

using Rng = std::mt19937_64;

// Values that have broken parsers before, or might: bounds, overflow, wrong types.
const std::vector<std::string> kValues{
    "0", "-1", "1", "2", "1e-9", "1e300", "-1e300", "0.0001", "1.5", "-0.0", "nan", "inf", "-inf",
    "9223372036854775807", "-9223372036854775808", "2147483648", "4294967296", "1000000000", "65", "64", "63",
    "\"\"", "\"auto\"", "\"none\"", "\"x\"", "\"wal\"", "\"all\"", "\"kill-reader\"", "\"1e-9\"", "\"0x10\"",
    "true", "false", "[]", "[0]", "[1, 1]", "[2147483648]", "[\"wal\", \"wal\"]", "[\"wal\", \"delete\"]",
    "[\"online\", \"online\"]", "[\"kill-writer\", \"kill-reader\"]", "[[1]]", "[1, \"a\"]", "{}",
    "{ wal = 2 }", "{ wal = 0.05, delete = 0.3 }", "{ bogus = 0.1 }", "{ wal = \"x\" }", "1979-05-27",
    "07:32:00", "\"\\u0000\"", "'''multi\nline'''", "[ \"a\",", "\"unterminated"};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

template <typename T>
const T& pick(Rng& r, const std::vector<T>& v) {
  return v[r() % v.size()];
}

// One mutation of `text`; `what` says which, for the failure message.
std::string mutate(Rng& r, const std::string& text, std::string& what) {
  auto lines = lines_of(text);
  std::vector<size_t> assignments;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find('=') != std::string::npos && lines[i][0] != '#') assignments.push_back(i);
  std::vector<std::string> keys;
  for (auto& o : scenario_options()) keys.push_back(o.key);
  switch (r() % 10) {
    case 0:
    case 1:
    case 2: {  // a value replaced
      if (assignments.empty()) break;
      const size_t i = pick(r, assignments);
      const std::string key = lines[i].substr(0, lines[i].find('='));
      lines[i] = key + "= " + pick(r, kValues);
      what = "set line " + std::to_string(i + 1) + " to: " + lines[i];
      return join(lines);
    }
    case 3:
    case 4: {  // any option of the table set, in [global]
      auto g = std::find(lines.begin(), lines.end(), "[global]");
      const std::string line = pick(r, keys) + " = " + pick(r, kValues);
      // A key the file already has is then given twice: TOML refuses that too.
      lines.insert(g == lines.end() ? lines.begin() : g + 1, line);
      what = "added to [global]: " + line;
      return join(lines);
    }
    case 5: {  // a line removed or duplicated
      if (lines.empty()) break;
      const size_t i = r() % lines.size();
      if (r() % 2) {
        what = "removed line " + std::to_string(i + 1) + ": " + lines[i];
        lines.erase(lines.begin() + long(i));
      } else {
        what = "duplicated line " + std::to_string(i + 1) + ": " + lines[i];
        lines.insert(lines.begin() + long(i), lines[i]);
      }
      return join(lines);
    }
    case 6: {  // a strategy variant appended
      static const std::vector<std::string> names{"online", "raw-copy", "vacuum-into", "cli-backup", "bogus", ""};
      static const std::vector<std::string> params{
          "", "params = { pages = 0 }", "params = { pages = 4294967296 }", "params = { sleep_ms = 1000000000000 }",
          "params = { pages = -1 }", "params = { pages = -2 }", "params = { timeout_ms = 600001 }",
          "params = { lock = \"none\" }", "params = { nope = 1 }", "params = 5", "label = \"online\"",
          "label = \"\"", "label = \"a/b\"", "label = 7", "extra = 1"};
      const std::string add = fmt::format("[[strategy]]\nname = \"{}\"\n{}\n", pick(r, names), pick(r, params));
      what = "appended: " + add;
      return text + "\n" + add;
    }
    case 7: {  // truncated
      const size_t at = text.empty() ? 0 : r() % text.size();
      what = "truncated at byte " + std::to_string(at);
      return text.substr(0, at);
    }
    case 8: {  // a byte changed
      if (text.empty()) break;
      std::string t = text;
      const size_t at = r() % t.size();
      static const std::string bytes = "=[]{}\"'#,.\n\t -0123456789ax\xff";
      t[at] = bytes[r() % bytes.size()];
      what = fmt::format("byte {} set to 0x{:02x}", at, (unsigned char)t[at]);
      return t;
    }
    default: {  // an unknown section or key
      static const std::vector<std::string> extra{"[bogus]\nx = 1", "x = 1", "[global.sub]\nx = 1", "[[global]]",
                                                  "[strategy]\nname = \"online\""};
      const std::string add = pick(r, extra);
      what = "appended: " + add;
      return text + "\n" + add + "\n";
    }
  }
  what = "unchanged";
  return text;
}

struct Shipped {
  std::string name, text;
};

std::vector<Shipped> shipped() {
  std::vector<Shipped> out;
  for (auto& e : fs::directory_iterator(std::string(BB_TEST_DATA) + "/../../scenarios"))
    if (e.path().extension() == ".toml") out.push_back({e.path().filename().string(), test::read_file(e.path())});
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

// Exit 0, or exit 2 with one line naming the problem; never anything else.
void expect_checked(const test::CmdResult& r, const std::string& context) {
  EXPECT_TRUE(r.code == 0 || r.code == 2) << context << "\nexit " << r.code << "\n" << r.out << r.err;
  if (r.code == 2) {
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << context << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("backup-bench: ", 0), 0u) << context << "\n" << r.err;
  }
}

TEST(ScenarioFuzz, MutatedScenariosCheckOutOrExit2WithOneLine) {
  const auto files = shipped();
  ASSERT_GE(files.size(), 4u);
  test::TempDir d;
  int accepted = 0, real_runs = 0;
  const uint64_t base = env_or("BB_FUZZ_SEED", kBaseSeed);
  const int n = int(env_or("BB_FUZZ_N", kMutations));
  const int max_real = int(env_or("BB_FUZZ_REAL", kRealRuns));
  for (int k = 0; k < n; ++k) {
    const uint64_t seed = base + uint64_t(k);
    Rng r(seed);
    const Shipped& base = files[r() % files.size()];
    std::string what;
    std::string text = mutate(r, base.text, what);
    if (r() % 4 == 0) {  // sometimes two mutations
      std::string second;
      text = mutate(r, text, second);
      what += "; then " + second;
    }
    const std::string path = d / fmt::format("m{}.toml", k);
    std::ofstream(path) << text;
    const std::string context = fmt::format("seed {} ({} mutated: {})\n--- file ---\n{}", seed, base.name, what, text);
    // `timeout` turns a hang into exit 137.
    auto r1 = test::run_sh("timeout -s KILL 30 " + test::sh_quote(BB_BINARY) + " run --check --scenario " +
                           test::sh_quote(path));
    expect_checked(r1, context);
    if (r1.code != 0) continue;
    ++accepted;
    if (real_runs >= max_real || r() % 8 != 0) continue;
    // Run it for real, its trials made tiny; what the mutation changed stays
    // unless a cap overrides it.
    ++real_runs;
    auto r2 = test::run_sh(
        "timeout -s KILL 180 " + test::sh_quote(BB_BINARY) + " run --scenario " + test::sh_quote(path) +
        " --modes wal --strategies online --db-mb 1 --repeat 1 --set warmup_s=0 --set baseline_s=0.2"
        " --set cooldown_s=0 --set backup_timeout_s=5 --set backups=1 --set probe_s=0.2 --set faults=none --out " +
        test::sh_quote(d / fmt::format("run{}", k)));
    EXPECT_TRUE(r2.code == 0 || r2.code == 1 || r2.code == 2) << context << "\nexit " << r2.code << "\n" << r2.err;
    fs::remove_all(d / fmt::format("run{}", k));
  }
  // The mutations exercise both paths.
  EXPECT_GT(accepted, n / 10);
  EXPECT_LT(accepted, n);
  std::cout << fmt::format("[ fuzz     ] {} mutations (seeds {}..{}): {} checked out, {} run for real\n", n, base,
                           base + uint64_t(n) - 1, accepted, real_runs);
}

// Regressions the fuzzer found, one test each, named after the bug.

// A TOML multi-line string as a value: the error quoted it, newline and all,
// and the "one line naming the problem" took three.
TEST(ScenarioFuzzRegressions, MultiLineValueInAnErrorStaysOneLine) {
  test::TempDir d;
  std::ofstream(d / "s.toml") << "[global]\nrate = '''multi\nline'''\n";
  auto r = test::run_bb({"run", "--check", "--scenario", d / "s.toml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("rate"), std::string::npos) << r.err;
  // The same through a flag, and through a strategy parameter.
  r = test::run_bb({"run", "--check", "--preset", "quick", "--set", "modes=wal\ndelete"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = test::run_bb({"backup", "--strategy", "online", "--opt", "pages=1\n2", test::test_data("chinook.sqlite"),
                    d / "out.db"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(d / "out.db"));
}

}  // namespace
}  // namespace bb
