// The statistics behind `compare`: the Mann–Whitney U (Wilcoxon rank-sum) test,
// exact for small samples even with ties; Fisher's exact test of two counts; and
// the corrections that hold the false-alarm rate over all the tests of one
// comparison (Benjamini–Hochberg, Holm). Each one is small and tested against
// values known by hand or by enumeration (tests/compare/gate_test.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bb {

// Mann–Whitney U test of x (the baseline) against y (the current run).
struct UTest {
  double u = 0;          // U of x: the pairs with x > y, ties counted 1/2
  double p = 1;          // two-sided
  double p_y_greater = 1;  // one-sided: y tends to be larger than x
  double p_y_less = 1;     // one-sided: y tends to be smaller than x
  bool exact = false;    // from the permutation distribution (given the ties), not the normal approximation
  // The smallest p-values these samples could give, whatever the labels: they
  // depend only on the sample sizes and the ties. A test that cannot reach the
  // significance level is not worth a place in the family of tests.
  double min_p = 1, min_p_y_greater = 1, min_p_y_less = 1;
};
// Exact when m + n <= kExactMaxN, else the normal approximation with the tie
// and continuity corrections.
constexpr size_t kExactMaxN = 120;
UTest mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y, size_t exact_max_n = kExactMaxN);

// Fisher's exact test of a 2x2 table: the baseline had `a` events in `a + b`
// trials, the current run `c` in `c + d`.
struct FisherTest {
  double p = 1;            // two-sided (tables no more likely than the observed one)
  double p_greater = 1;    // one-sided: the current run has the higher event rate
  double min_p_greater = 1;  // the smallest one-sided p these margins allow
};
FisherTest fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d);

// Adjusted p-values, in the order given: reject where adjusted <= alpha.
// Benjamini–Hochberg holds the false discovery rate (and, when nothing changed,
// the chance of any false alarm) at alpha; Holm holds the chance of any false
// alarm at alpha whatever changed.
std::vector<double> benjamini_hochberg(const std::vector<double>& p);
std::vector<double> holm(const std::vector<double>& p);

// The fewest repetitions per side with which an exact one-sided U test can reach
// `level` (1 / C(2r, r) <= level), capped at 50.
int repetitions_to_reach(double level);

}  // namespace bb
