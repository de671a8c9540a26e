#include "metrics/trial_metrics.h"

#include <gtest/gtest.h>

namespace corral::metrics {
namespace {

const Family& Find(const std::vector<Family>& fs, const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return f;
  static Family none("none", "", MetricType::kGauge);
  ADD_FAILURE() << "no family " << name;
  return none;
}

TEST(TrialMetricCacheTest, KeepsTheLatestValuePerSeries) {
  TrialMetricCache cache(10);
  cache.Set(1, 0, "loss", 0.9);
  cache.Set(1, 0, "loss", 0.5);
  cache.Set(1, 1, "loss", 0.7);
  std::vector<Family> out;
  cache.Collect(out);
  const Family& values = Find(out, "corral_trial_metric");
  ASSERT_EQ(values.samples.size(), 2u);
  EXPECT_EQ(values.samples[0].labels,
            (Labels{{"experiment", "1"}, {"trial", "0"}, {"metric", "loss"}}));
  EXPECT_EQ(values.samples[0].value, 0.5);
  EXPECT_EQ(Find(out, "corral_trial_metric_series").samples[0].value, 2);
  EXPECT_EQ(Find(out, "corral_trial_metric_series_evicted_total").samples[0].value, 0);
}

TEST(TrialMetricCacheTest, PastTheCapTheLeastRecentlyUpdatedSeriesGoes) {
  TrialMetricCache cache(2);
  cache.Set(1, 0, "loss", 1);
  cache.Set(1, 1, "loss", 2);
  cache.Set(1, 0, "loss", 3);  // trial 0 is now the most recent
  cache.Set(1, 2, "loss", 4);  // evicts trial 1
  EXPECT_EQ(cache.size(), 2u);
  std::vector<Family> out;
  cache.Collect(out);
  const Family& values = Find(out, "corral_trial_metric");
  ASSERT_EQ(values.samples.size(), 2u);
  EXPECT_EQ(values.samples[0].labels[1].second, "0");
  EXPECT_EQ(values.samples[0].value, 3);
  EXPECT_EQ(values.samples[1].labels[1].second, "2");
  EXPECT_EQ(Find(out, "corral_trial_metric_series_evicted_total").samples[0].value, 1);
  EXPECT_EQ(Find(out, "corral_trial_metric_series_limit").samples[0].value, 2);
}

}  // namespace
}  // namespace corral::metrics
