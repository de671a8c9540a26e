#pragma once

#include <functional>

#include "tune/pruner.h"

namespace corral::tune {

// Asynchronous successive halving (ASHA, Li et al. 2020). Rung k sits at step
// min_resource * reduction_factor^(min_early_stopping_rate + k), below max_resource. When a trial
// first reports at or past a rung, its value there competes with every trial that has reached that
// rung so far; it goes on only if it is within the best 1/reduction_factor of them (the very first
// arrivals go on only if they are the best so far). Decisions depend only on the trials, so
// the pruner has no state.
class SuccessiveHalvingPruner : public Pruner {
 public:
  explicit SuccessiveHalvingPruner(const PrunerConfig& config) : config_(config) {}
  bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                   Direction direction) const override;

  // Same rule with an explicit starting rung, restricted to trials for which `member` is true
  // (Hyperband uses one per bracket).
  bool ShouldPruneAmong(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                        Direction direction, int min_early_stopping_rate,
                        const std::function<bool(const Trial&)>& member) const;

 private:
  PrunerConfig config_;
};

// Hyperband (Li et al. 2018) run asynchronously: each trial is assigned by its number to one of
// floor(log_eta(max/min)) + 1 brackets, with probability proportional to the classic Hyperband
// allocation; bracket s is ASHA starting at rung s, among the trials of that bracket only.
class HyperbandPruner : public Pruner {
 public:
  explicit HyperbandPruner(const PrunerConfig& config);
  bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                   Direction direction) const override;
  int BracketOf(int64_t trial_number) const;
  int n_brackets() const { return static_cast<int>(bracket_weights_.size()); }

 private:
  PrunerConfig config_;
  SuccessiveHalvingPruner asha_;
  std::vector<double> bracket_weights_;  // cumulative, normalized
};

}  // namespace corral::tune
