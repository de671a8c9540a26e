#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/exposition.h"

namespace corral::metrics {

// Bucket bounds start, start*factor, ... (count of them).
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// Latency bounds from 50 µs to about 19 s (factor 2.5), for everything timed in seconds here.
const std::vector<double>& LatencyBuckets();

// A histogram that any thread may observe into. A mutex rather than atomics: observations are
// rare (per request, per control-thread task) next to what a lock costs.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds = LatencyBuckets());
  void Observe(double value);
  HistogramData Snapshot() const;

 private:
  mutable std::mutex mu_;
  HistogramData data_;
};

// Counters or histograms keyed by the values of a fixed list of label names. Callers keep the key
// space bounded (route classes, task names, outcomes), never ids.
class CounterVec {
 public:
  explicit CounterVec(std::vector<std::string> label_names) : names_(std::move(label_names)) {}
  void Add(const std::vector<std::string>& values, double by = 1);
  // Makes the series exist (at 0) before anything happened, so rates start from a known zero.
  void Touch(const std::vector<std::string>& values) { Add(values, 0); }
  void Collect(Family& family) const;

 private:
  std::vector<std::string> names_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, double> values_;
};

class HistogramVec {
 public:
  explicit HistogramVec(std::vector<std::string> label_names,
                        std::vector<double> bounds = LatencyBuckets())
      : names_(std::move(label_names)), bounds_(std::move(bounds)) {}
  void Observe(const std::vector<std::string>& values, double value);
  void Collect(Family& family) const;

 private:
  std::vector<std::string> names_;
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, HistogramData> series_;
};

// Labels from parallel name and value lists.
Labels Zip(const std::vector<std::string>& names, const std::vector<std::string>& values);

}  // namespace corral::metrics
