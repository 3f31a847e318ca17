// A trial's samples and series on known histories: a worker's sample file read
// back whole into the driver's vector (appended, one allocation), and a series
// written (streamed) and read back (streamed) giving exactly the members of each
// window by the intended-start rule -- also for older files that list the
// windows after the rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/samples.h"
#include "results/series.h"
#include "tests/test_support.h"

namespace bb {
namespace {

constexpr int64_t kMs = 1'000'000;

// Commits every 10 ms from 0 to 990 ms, each taking (i % 7) ms from its
// intended start; the baseline is [100, 500) ms and one backup [600, 700) ms.
std::vector<Sample> history() {
  std::vector<Sample> v;
  for (int i = 0; i < 100; ++i) {
    const int64_t intended = i * 10 * kMs, end = intended + (i % 7) * kMs + 500'000;
    v.push_back({i, intended, intended, end, i % 2, 1});
  }
  return v;
}

TEST(Samples, AFileIsAppendedWholeAfterWhatIsThere) {
  test::TempDir d;
  const std::string path = d / "w.bin";
  const auto h = history();
  {
    SampleWriter w(path);
    for (int k = 0; k < 50; ++k)  // several chunks
      for (auto& s : h) w.record(s);
    w.close();
  }
  std::vector<Sample> into{h.front()};
  EXPECT_EQ(append_samples(path, into), 5000u);
  ASSERT_EQ(into.size(), 5001u);
  EXPECT_EQ(into[1].seq, 0);
  EXPECT_EQ(into.back().seq, 99);
  EXPECT_EQ(into.back().end, h.back().end);
  EXPECT_EQ(append_samples(d / "missing.bin", into), 0u);
}

TEST(Series, WindowLatenciesAreTheMembersOfEachWindow) {
  test::TempDir d;
  const auto h = history();
  const SeriesWindows w{{100 * kMs, 500 * kMs}, {{600 * kMs, 700 * kMs}}, {{610 * kMs, 690 * kMs}}};
  write_series(d / "series.json", 0, h, {}, {{0, 0, 4096}}, w);
  // The file is JSON the report reads.
  auto j = nlohmann::json::parse(test::read_file(d / "series.json"));
  ASSERT_EQ(j["commits"].size(), h.size());
  EXPECT_EQ(j["windows_us"]["impacts"][0][1], 700'000);
  bool ok = false;
  auto got = read_window_latencies(d / "series.json", &ok);
  ASSERT_TRUE(ok);
  std::vector<int64_t> base, during;
  for (auto& s : h) {
    const int64_t resp = (s.end - s.intended) / 1000 * 1000;  // the file keeps µs
    if (member(s, w.baseline)) base.push_back(resp);
    if (member(s, w.impacts[0])) during.push_back(resp);
  }
  EXPECT_EQ(got.writers_baseline, base);
  EXPECT_EQ(got.writers_during, during);
  EXPECT_EQ(during.size(), 10u);
  EXPECT_TRUE(got.readers_baseline.empty());

  // An older file, windows last (a document tree's sorted keys): the same answer.
  std::ofstream(d / "old.json") << j.dump();
  ASSERT_LT(j.dump().find("\"commits\""), j.dump().find("\"windows_us\""));
  auto old = read_window_latencies(d / "old.json", &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(old.writers_during, during);
  EXPECT_EQ(old.writers_baseline, base);

  // Not a series: not ok, nothing.
  std::ofstream(d / "bad.json") << "{\"commits\": [[1,2,3,0]";
  auto bad = read_window_latencies(d / "bad.json", &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(bad.writers_during.empty());
}

}  // namespace
}  // namespace bb
