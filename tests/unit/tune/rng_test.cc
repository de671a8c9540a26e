#include "tune/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace corral::tune {
namespace {

TEST(Rng, SameSeedSameSequenceDifferentSeedDifferent) {
  Rng a(42), b(42), c(43);
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differ += x != c.NextU64();
  }
  EXPECT_GT(differ, 95);
}

TEST(Rng, StringRoundTripResumesExactly) {
  Rng a(7);
  for (int i = 0; i < 10; ++i) a.Normal();
  auto b = Rng::FromString(a.ToString());
  ASSERT_TRUE(b.ok());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.Uniform01(), b->Uniform01());
}

TEST(Rng, RejectsMalformedState) {
  EXPECT_FALSE(Rng::FromString("xyz").ok());
  EXPECT_FALSE(Rng::FromString(std::string(64, 'g')).ok());
  EXPECT_FALSE(Rng::FromString(std::string(64, '0')).ok());
}

TEST(Rng, DistributionsHaveExpectedMoments) {
  Rng r(1);
  double sum = 0, sq = 0, usum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = r.Normal();
    sum += z;
    sq += z * z;
    usum += r.Uniform01();
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.02);
  EXPECT_NEAR(usum / n, 0.5, 0.01);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) counts[r.Below(3)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

}  // namespace
}  // namespace corral::tune
