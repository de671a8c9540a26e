#pragma once

#include "tune/pruner.h"

namespace corral::tune {

// Median stopping rule (Golovin et al., Vizier): stop a trial whose best value so far is worse
// than the median of the completed trials' values at the same step, once n_startup_trials have
// completed.
class MedianPruner : public Pruner {
 public:
  explicit MedianPruner(const PrunerConfig& config) : config_(config) {}
  bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                   Direction direction) const override;

 private:
  PrunerConfig config_;
};

// Katib's "medianstop": stop a trial whose best value so far is worse than the median, over the
// completed trials, of the mean of each one's values up to the same step.
class MeanOfFirstPruner : public Pruner {
 public:
  explicit MeanOfFirstPruner(const PrunerConfig& config) : config_(config) {}
  bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                   Direction direction) const override;

 private:
  PrunerConfig config_;
};

// Median of values (average of the two middle ones for an even count); values non-empty.
double Median(std::vector<double> values);

}  // namespace corral::tune
