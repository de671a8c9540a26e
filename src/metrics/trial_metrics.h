#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "metrics/exposition.h"

namespace corral::metrics {

// The latest value of every (experiment, trial, metric) series that trials reported, for the
// corral_trial_metric gauge. Bounded: past `max_series`, the series updated longest ago is
// dropped to make room (a running trial keeps reporting and so keeps its series; a finished
// experiment's series age out). Any thread may call it.
class TrialMetricCache {
 public:
  static constexpr size_t kDefaultMaxSeries = 10000;
  explicit TrialMetricCache(size_t max_series = kDefaultMaxSeries) : max_series_(max_series) {}

  void Set(int64_t experiment, int trial, const std::string& metric, double value);
  // corral_trial_metric, corral_trial_metric_series and corral_trial_metric_series_evicted_total.
  void Collect(std::vector<Family>& out) const;
  size_t size() const;

 private:
  using Key = std::tuple<int64_t, int, std::string>;
  struct Entry {
    double value = 0;
    std::list<Key>::iterator age;  // position in by_age_, most recently set last
  };

  size_t max_series_;
  mutable std::mutex mu_;
  std::map<Key, Entry> series_;
  std::list<Key> by_age_;
  uint64_t evicted_ = 0;
};

}  // namespace corral::metrics
