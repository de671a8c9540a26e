#include "gpu/sample_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace corral::gpu {
namespace {

TEST(GpuSampleCache, EmptyBeforeTheFirstSample) {
  FakeClock clock;
  GpuSampleCache cache(
      [] {
        return std::vector<GpuSample>{{0, 50, 100, -1, -1}};
      },
      std::chrono::milliseconds(1000), clock);
  EXPECT_TRUE(cache.Latest()->samples.empty());
}

TEST(GpuSampleCache, RefreshReplacesTheSampleAndKeepsOldReadersValid) {
  FakeClock clock;
  int util = 10;
  GpuSampleCache cache(
      [&] {
        return std::vector<GpuSample>{{0, util, 2048, -1, -1}};
      },
      std::chrono::milliseconds(1000), clock);
  cache.Refresh();
  auto first = cache.Latest();
  ASSERT_EQ(first->samples.size(), 1u);
  EXPECT_EQ(first->samples[0].utilization_pct, 10);
  EXPECT_EQ(first->sampled_at, clock.Now());
  util = 90;
  clock.Advance(std::chrono::seconds(3));
  cache.Refresh();
  EXPECT_EQ(cache.Latest()->samples[0].utilization_pct, 90);
  EXPECT_EQ(cache.Latest()->sampled_at, clock.Now());
  EXPECT_EQ(first->samples[0].utilization_pct, 10);  // a reader's copy does not change under it
}

TEST(GpuSampleCache, BackgroundThreadSamplesEveryIntervalUntilDestroyed) {
  SystemClock clock;
  std::atomic<int> calls{0};
  {
    GpuSampleCache cache(
        [&] {
          ++calls;
          return std::vector<GpuSample>{};
        },
        std::chrono::milliseconds(5), clock);
    cache.Start();
    EXPECT_GE(calls.load(), 1);  // Start samples once before it returns
    for (int i = 0; i < 400 && calls.load() < 4; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_GE(calls.load(), 4);
  }
  int after = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(calls.load(), after);  // the thread stopped with the cache
}

}  // namespace
}  // namespace corral::gpu
