#include "metrics/instruments.h"

#include <gtest/gtest.h>

#include <thread>

namespace corral::metrics {
namespace {

TEST(InstrumentsTest, AValueOnABoundFallsInThatBucket) {
  Histogram h({1, 2, 4});
  h.Observe(1);    // le=1
  h.Observe(1.5);  // le=2
  h.Observe(4);    // le=4
  h.Observe(9);    // +Inf
  h.Observe(0);    // le=1
  HistogramData d = h.Snapshot();
  EXPECT_EQ(d.counts, (std::vector<uint64_t>{2, 1, 1, 1}));
  EXPECT_EQ(d.count, 5u);
  EXPECT_DOUBLE_EQ(d.sum, 15.5);
}

TEST(InstrumentsTest, ExponentialBucketsGrowByTheFactor) {
  auto b = ExponentialBuckets(1, 2, 4);
  EXPECT_EQ(b, (std::vector<double>{1, 2, 4, 8}));
  const auto& latency = LatencyBuckets();
  ASSERT_GE(latency.size(), 10u);
  EXPECT_LT(latency.front(), 1e-4);
  EXPECT_GT(latency.back(), 10);
  EXPECT_TRUE(std::is_sorted(latency.begin(), latency.end()));
}

TEST(InstrumentsTest, CounterVecKeepsOneSeriesPerLabelValues) {
  CounterVec c({"route", "code"});
  c.Add({"api/jobs", "200"});
  c.Add({"api/jobs", "200"}, 2);
  c.Touch({"api/jobs", "500"});
  Family f("corral_http_requests_total", "h", MetricType::kCounter);
  c.Collect(f);
  ASSERT_EQ(f.samples.size(), 2u);
  EXPECT_EQ(f.samples[0].labels, (Labels{{"route", "api/jobs"}, {"code", "200"}}));
  EXPECT_EQ(f.samples[0].value, 3);
  EXPECT_EQ(f.samples[1].value, 0);
}

TEST(InstrumentsTest, HistogramVecWritesEveryBucketOfEverySeries) {
  HistogramVec h({"task"}, {0.5, 1});
  h.Observe({"a"}, 0.2);
  h.Observe({"b"}, 3);
  Family f("t_seconds", "t", MetricType::kHistogram);
  h.Collect(f);
  // Per series: 3 buckets (0.5, 1, +Inf), _sum and _count.
  ASSERT_EQ(f.samples.size(), 10u);
  EXPECT_EQ(f.samples[0].suffix, "_bucket");
  EXPECT_EQ(f.samples[0].labels, (Labels{{"task", "a"}, {"le", "0.5"}}));
  EXPECT_EQ(f.samples[0].value, 1);
  EXPECT_EQ(f.samples[7].labels, (Labels{{"task", "b"}, {"le", "+Inf"}}));
  EXPECT_EQ(f.samples[7].value, 1);
  EXPECT_EQ(f.samples[6].value, 0);  // b, le=1
}

TEST(InstrumentsTest, ConcurrentObservationsAreAllCounted) {
  Histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.Observe(0.001);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.Snapshot().count, 40000u);
}

}  // namespace
}  // namespace corral::metrics
