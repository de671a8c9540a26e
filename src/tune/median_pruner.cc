#include "tune/median_pruner.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace corral::tune {
namespace {

// The value a trial reported at exactly `step`, if any.
const double* ValueAt(const Trial& t, int64_t step) {
  auto it = std::lower_bound(t.intermediate.begin(), t.intermediate.end(), step,
                             [](const auto& p, int64_t s) { return p.first < s; });
  if (it == t.intermediate.end() || it->first != step) return nullptr;
  return &it->second;
}

double BestLossUpTo(const Trial& t, int64_t step, Direction direction) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& [s, v] : t.intermediate) {
    if (s > step) break;
    if (!std::isnan(v)) best = std::min(best, Loss(direction, v));
  }
  return best;
}

bool Checkable(const PrunerConfig& c, const Trial& trial, int64_t step,
               const std::vector<Trial>& trials) {
  if (step < c.n_warmup_steps) return false;
  if ((step - c.n_warmup_steps) % c.interval_steps != 0) return false;
  int completed = 0;
  for (const Trial& t : trials)
    if (t.state == TrialState::kComplete && t.number != trial.number) ++completed;
  return completed >= c.n_startup_trials;
}

bool Finished(const Trial& t) { return t.state == TrialState::kComplete; }

}  // namespace

double Median(std::vector<double> v) {
  const size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + static_cast<long>(n / 2), v.end());
  const double upper = v[n / 2];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<long>(n / 2));
  return 0.5 * (lower + upper);
}

bool MedianPruner::ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                               Direction direction) const {
  if (!Checkable(config_, trial, step, trials)) return false;
  const double current = BestLossUpTo(trial, step, direction);
  if (std::isnan(trial.intermediate.back().second)) return true;
  std::vector<double> others;
  for (const Trial& t : trials) {
    if (t.number == trial.number || !Finished(t)) continue;
    if (const double* v = ValueAt(t, step); v && !std::isnan(*v))
      others.push_back(Loss(direction, *v));
  }
  if (others.empty()) return false;
  return current > Median(std::move(others));
}

bool MeanOfFirstPruner::ShouldPrune(const Trial& trial, int64_t step,
                                    const std::vector<Trial>& trials, Direction direction) const {
  if (!Checkable(config_, trial, step, trials)) return false;
  const double current = BestLossUpTo(trial, step, direction);
  if (std::isnan(trial.intermediate.back().second)) return true;
  std::vector<double> means;
  for (const Trial& t : trials) {
    if (t.number == trial.number || t.state != TrialState::kComplete) continue;
    double sum = 0;
    int count = 0;
    for (const auto& [s, v] : t.intermediate) {
      if (s > step) break;
      if (!std::isnan(v)) sum += Loss(direction, v), ++count;
    }
    if (count > 0) means.push_back(sum / count);
  }
  if (means.empty()) return false;
  return current > Median(std::move(means));
}

}  // namespace corral::tune
