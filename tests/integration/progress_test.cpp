// Progress a person can follow when stderr is not a terminal: one line per
// trial, with the elapsed time and, while trials remain, an estimate of the
// time left; the last line has nothing left to estimate.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "tests/test_support.h"

namespace bb {
namespace {

TEST(Progress, EachTrialsLineHasElapsedAndTimeLeftUntilTheLast) {
  test::TempDir d;
  auto r = test::run_bb({"run", "--preset", "quick", "--strategies", "online", "--repeat", "1", "--rate", "20",
                         "--set", "baseline_s=0.5", "--out", d / "run"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.err);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("[", 0) == 0) lines.push_back(l);
  ASSERT_EQ(lines.size(), 2u) << r.err;  // WAL and rollback mode
  EXPECT_TRUE(std::regex_search(lines[0], std::regex(R"(^\[1/2\] .* \(\d+s, ~\d+s left\): backup )"))) << lines[0];
  EXPECT_TRUE(std::regex_search(lines[1], std::regex(R"(^\[2/2\] .* \(\d+s\): backup )"))) << lines[1];
}

}  // namespace
}  // namespace bb
