#include "sched/fifo_shadow.h"

#include <gtest/gtest.h>

#include "unit/sched/test_util.h"

namespace corral::sched {
namespace {

using namespace testing;
using std::chrono::hours;
using std::chrono::minutes;

TEST(FifoShadowTest, StartsAtArrivalWhileThePoolHasRoom) {
  FifoShadow f;
  f.SetCapacity(8);
  EXPECT_EQ(f.Admit(T0(), 4, hours(1)), T0());
  EXPECT_EQ(f.Admit(T0() + minutes(5), 4, hours(1)), T0() + minutes(5));
}

TEST(FifoShadowTest, WaitsForTheEndsThatMakeRoom) {
  FifoShadow f;
  f.SetCapacity(8);
  f.Admit(T0(), 4, hours(1));
  f.Admit(T0(), 4, hours(3));
  // 6 GPUs need both running jobs to end; 2 then fit beside it at once but not before it.
  EXPECT_EQ(f.Admit(T0() + minutes(1), 6, hours(1)), T0() + hours(3));
  EXPECT_EQ(f.Admit(T0() + minutes(2), 2, hours(1)), T0() + hours(3));
  // Head-of-line: a 1-GPU job behind them waits until the pool has room after the last start.
  EXPECT_EQ(f.Admit(T0() + minutes(3), 1, hours(1)), T0() + hours(4));
}

TEST(FifoShadowTest, AGangLargerThanThePoolIsClampedNotStuck) {
  FifoShadow f;
  f.SetCapacity(8);
  f.Admit(T0(), 8, hours(2));
  EXPECT_EQ(f.Admit(T0(), 16, hours(1)), T0() + hours(2));
  EXPECT_EQ(f.Admit(T0(), 0, hours(1)), T0() + hours(2));
}

}  // namespace
}  // namespace corral::sched
