// Odd inputs a new user tries (issue 24): each gets exit 2 and one line that
// names the real problem, never a 309-digit bound, a silently clamped number,
// "does not exist" for a folder, or an empty success.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

// Exit 2, one line, holding every needle.
void expect_one_line(const std::vector<std::string>& args, const std::vector<std::string>& needles) {
  auto r = run_bb(args);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
  for (auto& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << "no '" << n << "' in: " << r.err;
  EXPECT_LT(r.err.size(), 300u) << r.err;
}

TEST(Messages, ValidateRefusesACommitBoundThatIsNotACount) {
  const std::string db = test::test_data("chinook.sqlite");
  for (std::string flag : {"--committed-min", "--committed-max"}) {
    SCOPED_TRACE(flag);
    expect_one_line({"validate", flag, "-1", db}, {flag, "'-1'", "whole number"});
    expect_one_line({"validate", flag, "abc", db}, {flag, "'abc'", "whole number"});
    expect_one_line({"validate", flag, "1.5", db}, {flag, "'1.5'", "whole number"});
    // Not clamped to the largest int64 in silence.
    expect_one_line({"validate", flag, "99999999999999999999", db}, {flag, "99999999999999999999", "too large"});
  }
  auto ok = run_bb({"validate", "--committed-min", "0", "--committed-max", "9223372036854775807", db});
  EXPECT_EQ(ok.code, 0) << ok.err;
}

TEST(Messages, RunScenarioFolderIsNamedAFolder) {
  test::TempDir d;
  auto r = run_bb({"run", "--scenario", d.path()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("is a folder"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Messages, HoldersOfAFolderOrAFifoIsBadInput) {
  test::TempDir d;
  expect_one_line({"holders", d.path()}, {d.path(), "is a folder"});
  ASSERT_EQ(mkfifo((d / "fifo").c_str(), 0600), 0);
  expect_one_line({"holders", d / "fifo"}, {d / "fifo", "not a regular file"});
}

TEST(Messages, AScenarioLabelMustBeAString) {
  test::TempDir d;
  const std::string path = d / "s.toml";
  std::ofstream(path) << "[[strategy]]\nname = \"online\"\nlabel = {x = 1}\n";
  expect_one_line({"run", "--scenario", path, "--check"}, {"s.toml:3", "label must be a string", "a table"});
  std::ofstream(path) << "[[strategy]]\nname = \"online\"\nlabel = 7\n";
  expect_one_line({"run", "--scenario", path, "--check"}, {"label must be a string", "an integer"});
  std::ofstream(path) << "[[strategy]]\nname = \"online\"\nlabel = \"fast\"\n";
  auto ok = run_bb({"run", "--scenario", path, "--check"});
  EXPECT_EQ(ok.code, 0) << ok.err;
}

}  // namespace
}  // namespace bb
