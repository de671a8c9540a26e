// The vectorized exp and erfc must give the scalar functions' values (libmvec promises 4 ulp)
// over the ranges the Parzen estimators use, at every array length (vector bodies and tails).
#include "tune/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace corral::tune {
namespace {

constexpr double kUlp = std::numeric_limits<double>::epsilon();

TEST(VectorMathTest, ExpMatchesTheScalarFunction) {
  for (size_t n : {0u, 1u, 3u, 4u, 7u, 32u, 1001u}) {
    std::vector<double> x(n);
    for (size_t i = 0; i < n; ++i)
      x[i] =
          -60.0 + 60.0 * static_cast<double>(i) / static_cast<double>(std::max<size_t>(n, 2) - 1);
    std::vector<double> y = x;
    ExpInPlace(y.data(), y.size());
    for (size_t i = 0; i < n; ++i)
      EXPECT_NEAR(y[i], std::exp(x[i]), 4 * kUlp * std::exp(x[i])) << "n=" << n << " x=" << x[i];
  }
}

TEST(VectorMathTest, ExpOfExactValues) {
  std::vector<double> x = {0.0, -0.0, -std::numeric_limits<double>::infinity(), -800.0};
  ExpInPlace(x.data(), x.size());
  EXPECT_EQ(x[0], 1.0);
  EXPECT_EQ(x[1], 1.0);
  EXPECT_EQ(x[2], 0.0);
  EXPECT_EQ(x[3], 0.0);
}

TEST(VectorMathTest, ErfcMatchesTheScalarFunction) {
  for (size_t n : {1u, 2u, 5u, 8u, 33u, 999u}) {
    std::vector<double> x(n);
    for (size_t i = 0; i < n; ++i)
      x[i] = 6.0 * static_cast<double>(i) / static_cast<double>(std::max<size_t>(n, 2) - 1);
    std::vector<double> y = x;
    ErfcInPlace(y.data(), y.size());
    for (size_t i = 0; i < n; ++i)
      EXPECT_NEAR(y[i], std::erfc(x[i]), 4 * kUlp * std::erfc(x[i])) << "n=" << n << " x=" << x[i];
  }
}

}  // namespace
}  // namespace corral::tune
