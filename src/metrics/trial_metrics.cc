#include "metrics/trial_metrics.h"

namespace corral::metrics {

void TrialMetricCache::Set(int64_t experiment, int trial, const std::string& metric, double value) {
  if (max_series_ == 0) return;
  std::lock_guard lock(mu_);
  Key key{experiment, trial, metric};
  auto it = series_.find(key);
  if (it != series_.end()) {
    it->second.value = value;
    by_age_.splice(by_age_.end(), by_age_, it->second.age);
    return;
  }
  if (series_.size() >= max_series_) {
    series_.erase(by_age_.front());
    by_age_.pop_front();
    ++evicted_;
  }
  by_age_.push_back(key);
  series_.emplace(std::move(key), Entry{value, std::prev(by_age_.end())});
}

size_t TrialMetricCache::size() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

void TrialMetricCache::Collect(std::vector<Family>& out) const {
  Family values("corral_trial_metric",
                "Latest value of a metric an experiment's trial reported (stdout, metrics file or "
                "push), by experiment id, trial number and metric name.",
                MetricType::kGauge);
  Family count("corral_trial_metric_series",
               "Trial metric series currently exported (bounded; see "
               "corral_trial_metric_series_limit).",
               MetricType::kGauge);
  Family limit("corral_trial_metric_series_limit",
               "Most trial metric series exported at once; past it the least recently updated "
               "series is dropped.",
               MetricType::kGauge);
  Family evicted("corral_trial_metric_series_evicted_total",
                 "Trial metric series dropped to stay under the limit.", MetricType::kCounter);
  {
    std::lock_guard lock(mu_);
    values.samples.reserve(series_.size());
    for (const auto& [key, entry] : series_) {
      const auto& [experiment, trial, metric] = key;
      values.Add({{"experiment", std::to_string(experiment)},
                  {"trial", std::to_string(trial)},
                  {"metric", metric}},
                 entry.value);
    }
    count.Add({}, static_cast<double>(series_.size()));
    evicted.Add({}, static_cast<double>(evicted_));
  }
  limit.Add({}, static_cast<double>(max_series_));
  out.push_back(std::move(values));
  out.push_back(std::move(count));
  out.push_back(std::move(limit));
  out.push_back(std::move(evicted));
}

}  // namespace corral::metrics
