// Template databases (databases/templates.h): a trial's copy of a cached template is
// byte-identical to a fresh population with the same seed, a second instance is
// a cache hit, and another seed gives another database.
#include "databases/templates.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "databases/populate.h"
#include "tests/test_support.h"

namespace bb {
namespace {

class Templates : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { setenv("BB_CACHE_DIR", (dir_ / "cache").c_str(), 1); }
  void TearDown() override { unsetenv("BB_CACHE_DIR"); }
  test::TempDir dir_;
};

TEST_P(Templates, ACopyIsByteIdenticalToAFreshPopulationAndTheSecondIsACacheHit) {
  const std::string mode = GetParam();
  DatabaseSpec s;
  s.seed = 7;
  EXPECT_EQ(template_cache_dir(), dir_ / "cache");
  auto first = instantiate_database(dir_ / "a.db", s, mode, 2);
  EXPECT_FALSE(first.from_cache);
  EXPECT_GT(first.populate_s, 0);
  auto second = instantiate_database(dir_ / "b.db", s, mode, 2);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.populate_s, 0);
  create_database(dir_ / "fresh.db", s, mode, 2, uint64_t(s.seed));
  const std::string fresh = test::read_file(dir_ / "fresh.db");
  EXPECT_GT(fresh.size(), 1u << 20);
  EXPECT_EQ(test::read_file(dir_ / "a.db"), fresh);
  EXPECT_EQ(test::read_file(dir_ / "b.db"), fresh);
  // Another seed: other payloads.
  create_database(dir_ / "other.db", s, mode, 2, 8);
  EXPECT_NE(test::read_file(dir_ / "other.db"), fresh);
  // The build time is noted beside the template (run --check's estimate reads it).
  const auto built = template_build_seconds(template_path(s, mode, 2));
  ASSERT_TRUE(built.has_value());
  EXPECT_NEAR(*built, first.populate_s, 0.001);
  EXPECT_EQ(clear_template_cache(), 1);  // one template; its note goes with it
  EXPECT_FALSE(template_build_seconds(template_path(s, mode, 2)).has_value());
  EXPECT_FALSE(instantiate_database(dir_ / "c.db", s, mode, 2).from_cache);
}

INSTANTIATE_TEST_SUITE_P(Modes, Templates, ::testing::Values("wal", "delete"));

}  // namespace
}  // namespace bb
