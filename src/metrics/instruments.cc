#include "metrics/instruments.h"

#include <algorithm>

namespace corral::metrics {
namespace {

void ObserveInto(HistogramData& data, double value) {
  if (data.counts.size() != data.bounds.size() + 1) data.counts.assign(data.bounds.size() + 1, 0);
  // Buckets are upper-inclusive (le): the first bound >= value.
  size_t i = std::lower_bound(data.bounds.begin(), data.bounds.end(), value) - data.bounds.begin();
  ++data.counts[i];
  data.sum += value;
  ++data.count;
}

}  // namespace

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double b = start;
  for (int i = 0; i < count; ++i, b *= factor) out.push_back(b);
  return out;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> buckets = ExponentialBuckets(50e-6, 2.5, 15);
  return buckets;
}

Histogram::Histogram(std::vector<double> bounds) {
  data_.bounds = std::move(bounds);
  data_.counts.assign(data_.bounds.size() + 1, 0);
}

void Histogram::Observe(double value) {
  std::lock_guard lock(mu_);
  ObserveInto(data_, value);
}

HistogramData Histogram::Snapshot() const {
  std::lock_guard lock(mu_);
  return data_;
}

Labels Zip(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  Labels out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i)
    out.emplace_back(names[i], values[i]);
  return out;
}

void CounterVec::Add(const std::vector<std::string>& values, double by) {
  std::lock_guard lock(mu_);
  values_[values] += by;
}

void CounterVec::Collect(Family& family) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, v] : values_) family.Add(Zip(names_, values), v);
}

void HistogramVec::Observe(const std::vector<std::string>& values, double value) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = series_.try_emplace(values);
  if (inserted) {
    it->second.bounds = bounds_;
    it->second.counts.assign(bounds_.size() + 1, 0);
  }
  ObserveInto(it->second, value);
}

void HistogramVec::Collect(Family& family) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, data] : series_) family.AddHistogram(Zip(names_, values), data);
}

}  // namespace corral::metrics
