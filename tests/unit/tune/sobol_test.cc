#include "tune/sobol_sequence.h"

#include <gtest/gtest.h>

#include <set>

namespace corral::tune {
namespace {

// The first 2^m points put exactly one point in each of 2^m equal cells of every coordinate,
// scrambled or not; this fails for wrong direction numbers or a broken scramble.
TEST(SobolSequence, EveryCoordinateIsStratified) {
  for (uint64_t seed : {0ull, 1ull, 99ull}) {
    auto seq = SobolSequence::Create(20, seed);
    ASSERT_TRUE(seq.ok());
    const int m = 8;
    std::vector<std::set<int>> cells(20);
    for (uint64_t i = 0; i < (1u << m); ++i) {
      const auto p = seq->Point(i);
      for (int d = 0; d < 20; ++d) {
        ASSERT_GE(p[d], 0.0);
        ASSERT_LT(p[d], 1.0);
        cells[d].insert(static_cast<int>(p[d] * (1 << m)));
      }
    }
    for (int d = 0; d < 20; ++d) EXPECT_EQ(cells[d].size(), 1u << m) << "dim " << d;
  }
}

// The first two dimensions form a (0, m, 2)-net: every 2^a x 2^(m-a) box holds one point.
TEST(SobolSequence, FirstTwoDimensionsFormANet) {
  auto seq = SobolSequence::Create(2, 5);
  ASSERT_TRUE(seq.ok());
  const int m = 6;
  for (int a = 0; a <= m; ++a) {
    std::set<std::pair<int, int>> boxes;
    for (uint64_t i = 0; i < (1u << m); ++i) {
      const auto p = seq->Point(i);
      boxes.insert({static_cast<int>(p[0] * (1 << a)), static_cast<int>(p[1] * (1 << (m - a)))});
    }
    EXPECT_EQ(boxes.size(), 1u << m) << "a=" << a;
  }
}

TEST(SobolSequence, SeedChangesPointsAndDimsAreLimited) {
  auto a = SobolSequence::Create(3, 1), b = SobolSequence::Create(3, 2);
  EXPECT_NE(a->Point(1), b->Point(1));
  EXPECT_EQ(a->Point(7), SobolSequence::Create(3, 1)->Point(7));
  EXPECT_FALSE(SobolSequence::Create(65, 0).ok());
  EXPECT_FALSE(SobolSequence::Create(0, 0).ok());
}

}  // namespace
}  // namespace corral::tune
