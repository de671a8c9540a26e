// The blocked evaluation of ParzenEstimator::LogPdf must agree with evaluating every kernel, and
// the density must stay a density (truncation normalizers) and honour a caller-supplied order.
#include "tune/parzen_estimator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tune/rng.h"
#include "tune/search_space.h"

namespace corral::tune {
namespace {

SearchSpace Space(int numeric, int categorical) {
  std::vector<ParamSpec> p;
  for (int d = 0; d < numeric; ++d)
    p.push_back({.name = "x" + std::to_string(d), .low = 0, .high = 1});
  for (int d = 0; d < categorical; ++d)
    p.push_back({.name = "c" + std::to_string(d),
                 .kind = ParamKind::kCategorical,
                 .choices = {"a", "b", "c", "d"}});
  return *SearchSpace::Create(p);
}

// Observations in the estimator's encoding: uniform, or (clustered) most of them piled on a few
// values, which gives blocks of identical centres and kernels at the clip bandwidth.
std::vector<double> Rows(const SearchSpace& space, size_t n, bool clustered, Rng& rng) {
  std::vector<double> rows;
  for (size_t k = 0; k < n; ++k) {
    for (size_t i = 0; i < space.size(); ++i) {
      if (space.param(i).kind == ParamKind::kCategorical) {
        rows.push_back(static_cast<double>(rng.Below(4)));
      } else if (clustered && rng.Uniform01() < 0.8) {
        rows.push_back(0.1 + 0.2 * static_cast<double>(rng.Below(3)));
      } else {
        rows.push_back(rng.Uniform01());
      }
    }
  }
  return rows;
}

std::vector<double> Point(const SearchSpace& space, Rng& rng) {
  std::vector<double> x;
  for (size_t i = 0; i < space.size(); ++i)
    x.push_back(space.param(i).kind == ParamKind::kCategorical ? static_cast<double>(rng.Below(4))
                                                               : rng.Uniform01());
  return x;
}

std::vector<size_t> AllDims(const SearchSpace& space) {
  std::vector<size_t> dims(space.size());
  std::iota(dims.begin(), dims.end(), size_t{0});
  return dims;
}

struct Case {
  int numeric, categorical;
  bool multivariate, equal_height, clustered;
};

TEST(ParzenEstimator, BlockedLogPdfMatchesEveryKernel) {
  const Case cases[] = {{1, 0, false, true, false}, {1, 0, false, false, true},
                        {0, 1, false, true, false}, {5, 0, true, false, false},
                        {4, 1, true, true, false},  {4, 1, true, true, true},
                        {2, 2, true, false, true},  {0, 2, true, true, false},
                        {20, 0, true, true, false}, {1, 0, true, false, true}};
  Rng rng(11);
  int compared = 0;
  for (const Case& c : cases) {
    const SearchSpace space = Space(c.numeric, c.categorical);
    for (size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{33}, size_t{300}, size_t{2000}}) {
      const std::vector<double> rows = Rows(space, n, c.clustered, rng);
      std::vector<double> weights(n);
      for (double& w : weights) w = 0.05 + rng.Uniform01();
      ParzenEstimator::Options o;
      o.multivariate = c.multivariate;
      o.equal_height = c.equal_height;
      o.prior_weight = n % 2 == 0 ? 1.0 : 0.0;  // with and without the prior kernel
      const ParzenEstimator pe(space, AllDims(space), n, rows.data(), weights.data(), nullptr, o);
      for (int q = 0; q < 60; ++q) {
        // Points anywhere, and points drawn from the estimator itself (where it is dense).
        const std::vector<double> x = q % 2 == 0 ? Point(space, rng) : pe.Sample(rng);
        const double fast = pe.LogPdf(x.data()), exact = pe.LogPdfExhaustive(x.data());
        ASSERT_TRUE(std::isfinite(exact));
        EXPECT_NEAR(fast, exact, 1e-9 * std::max(1.0, std::abs(exact)))
            << "numeric " << c.numeric << " categorical " << c.categorical << " n " << n;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 10 * 6 * 60);
}

// Optuna 3.1's categorical kernels: each choice gets prior_weight / (observations + 1) before
// normalizing (the prior kernel counts among the kernels), the prior kernel is uniform. With one
// observation of choice 2 of 4 and equal weights: 1.5 / 3 for its own choice and 0.5 / 3 for the
// others in the observation kernel, 1/4 in the prior, mixed half and half.
TEST(ParzenEstimator, CategoricalKernelsSmoothLikeOptuna) {
  const SearchSpace one = Space(0, 1);  // choices a, b, c, d
  const std::vector<double> row = {2.0};
  const std::vector<double> weight = {1.0};
  ParzenEstimator::Options o;
  const ParzenEstimator table(one, {0}, 1, row.data(), weight.data(), nullptr, o);
  const double own = 0.5 * (1.5 / 3.0) + 0.5 * 0.25, other = 0.5 * (0.5 / 3.0) + 0.5 * 0.25;
  const double x2 = 2.0, x0 = 0.0;
  EXPECT_NEAR(std::exp(table.LogPdf(&x2)), own, 1e-12);
  EXPECT_NEAR(std::exp(table.LogPdf(&x0)), other, 1e-12);
  // The same factor inside a joint kernel (categorical and numeric): at the observation's own
  // numeric value, the ratio of the densities at choices 2 and 0 is set by the categorical tables.
  const SearchSpace two = Space(1, 1);
  const std::vector<double> rows = {0.5, 2.0};
  o.multivariate = true;
  o.equal_height = true;
  const ParzenEstimator joint(two, {0, 1}, 1, rows.data(), weight.data(), nullptr, o);
  // Both kernels are centred at 0.5; the observation's and the prior's numeric factors there are
  // 1 / mass of their truncation, the same at both choices.
  const double at_own[] = {0.5, 2.0}, at_other[] = {0.5, 0.0};
  const double lo = joint.LogPdfExhaustive(at_own) - joint.LogPdfExhaustive(at_other);
  EXPECT_NEAR(joint.LogPdf(at_own) - joint.LogPdf(at_other), lo, 1e-12);
  // Observation kernel: numeric factor a, categorical 1/2 or 1/6; prior: factor b, 1/4 either way.
  // Scott's bandwidth for n = 1, d = 2 is 0.2 (clipped at 1/3); the prior's is 1.
  const double sigma = 1.0 / 3.0;
  const double a = 1.0 / std::erf(0.5 / sigma / std::sqrt(2.0));
  const double b = 1.0 / std::erf(0.5 / std::sqrt(2.0));
  EXPECT_NEAR(lo, std::log((a * 0.5 + b * 0.25) / (a / 6.0 + b * 0.25)), 1e-9);
}

TEST(ParzenEstimator, DensityIntegratesToOne) {
  // Equal-mass kernels form a density on [0,1] (truncation included); checked by quadrature.
  Rng rng(3);
  const SearchSpace one = Space(1, 0);
  for (size_t n : {size_t{1}, size_t{10}, size_t{400}}) {
    const std::vector<double> rows = Rows(one, n, true, rng);
    const std::vector<double> weights(n, 1.0);
    ParzenEstimator::Options o;
    const ParzenEstimator pe(one, {0}, n, rows.data(), weights.data(), nullptr, o);
    const int steps = 200000;
    double mass = 0;
    for (int i = 0; i < steps; ++i) {
      const double x = (i + 0.5) / steps;
      mass += std::exp(pe.LogPdf(&x)) / steps;
    }
    EXPECT_NEAR(mass, 1.0, 1e-3) << "n " << n;
  }
  const SearchSpace two = Space(2, 0);
  const std::vector<double> rows = Rows(two, 50, false, rng);
  const std::vector<double> weights(50, 1.0);
  ParzenEstimator::Options o;
  o.multivariate = true;
  const ParzenEstimator pe(two, {0, 1}, 50, rows.data(), weights.data(), nullptr, o);
  const int steps = 600;
  double mass = 0;
  for (int i = 0; i < steps; ++i)
    for (int j = 0; j < steps; ++j) {
      const double x[] = {(i + 0.5) / steps, (j + 0.5) / steps};
      mass += std::exp(pe.LogPdf(x)) / (steps * steps);
    }
  EXPECT_NEAR(mass, 1.0, 1e-3);
}

TEST(ParzenEstimator, GivenOrderEqualsOwnSort) {
  Rng rng(5);
  const SearchSpace one = Space(1, 0);
  const size_t n = 500;
  std::vector<double> rows = Rows(one, n, true, rng);
  rows[7] = rows[8] = 0.5;  // ties with the prior's centre
  std::vector<double> weights(n);
  for (double& w : weights) w = 0.1 + rng.Uniform01();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a] < rows[b]; });
  ParzenEstimator::Options o;
  ParzenEstimator sorted_by_caller, sorted_inside;
  sorted_by_caller.Fit(one, {0}, n, rows.data(), weights.data(), nullptr, o, order.data());
  sorted_inside.Fit(one, {0}, n, rows.data(), weights.data(), nullptr, o);
  Rng a(9), b(9);
  for (int q = 0; q < 200; ++q) {
    const std::vector<double> x = sorted_by_caller.Sample(a);
    EXPECT_EQ(x, sorted_inside.Sample(b));
    EXPECT_EQ(sorted_by_caller.LogPdf(x.data()), sorted_inside.LogPdf(x.data()));
  }
}

TEST(ParzenEstimator, RefitReusesNothingStale) {
  // A refit with fewer observations and other dimensions must not see the earlier fit's kernels.
  Rng rng(21);
  const SearchSpace big = Space(4, 1), small = Space(1, 0);
  const std::vector<double> big_rows = Rows(big, 700, false, rng);
  const std::vector<double> big_w(700, 1.0);
  const std::vector<double> small_rows = Rows(small, 20, false, rng);
  const std::vector<double> small_w(20, 1.0);
  ParzenEstimator::Options o;
  ParzenEstimator reused;
  reused.Fit(big, AllDims(big), 700, big_rows.data(), big_w.data(), nullptr, o);
  reused.Fit(small, {0}, 20, small_rows.data(), small_w.data(), nullptr, o);
  const ParzenEstimator fresh(small, {0}, 20, small_rows.data(), small_w.data(), nullptr, o);
  for (int q = 0; q < 50; ++q) {
    const double x = rng.Uniform01();
    EXPECT_EQ(reused.LogPdf(&x), fresh.LogPdf(&x));
  }
}

}  // namespace
}  // namespace corral::tune
