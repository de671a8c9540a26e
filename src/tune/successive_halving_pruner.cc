#include "tune/successive_halving_pruner.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace corral::tune {
namespace {

// The trial's value at the first step it reported at or past `rung`, and that step.
const std::pair<int64_t, double>* RungEntry(const Trial& t, int64_t rung) {
  auto it = std::lower_bound(t.intermediate.begin(), t.intermediate.end(), rung,
                             [](const auto& p, int64_t s) { return p.first < s; });
  return it == t.intermediate.end() ? nullptr : &*it;
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

bool SuccessiveHalvingPruner::ShouldPruneAmong(
    const Trial& trial, int64_t step, const std::vector<Trial>& trials, Direction direction,
    int min_early_stopping_rate, const std::function<bool(const Trial&)>& member) const {
  const auto& iv = trial.intermediate;
  if (iv.empty()) return false;
  if (std::isnan(iv.back().second)) return true;
  // The step reported before this one: rungs in (previous, step] are decided now.
  auto self = std::lower_bound(iv.begin(), iv.end(), step,
                               [](const auto& p, int64_t s) { return p.first < s; });
  const int64_t previous =
      self == iv.begin() ? std::numeric_limits<int64_t>::min() : std::prev(self)->first;
  const double eta = static_cast<double>(config_.reduction_factor);
  for (int k = 0;; ++k) {
    const double rung_d =
        static_cast<double>(config_.min_resource) * std::pow(eta, min_early_stopping_rate + k);
    if (rung_d >= static_cast<double>(config_.max_resource) || rung_d > static_cast<double>(step))
      return false;
    const auto rung = static_cast<int64_t>(rung_d);
    if (rung <= previous) continue;
    const double value = Loss(direction, self->second);
    std::vector<double> competing{value};
    for (const Trial& t : trials) {
      if (t.number == trial.number || !member(t)) continue;
      if (const auto* e = RungEntry(t, rung); e && !std::isnan(e->second))
        competing.push_back(Loss(direction, e->second));
    }
    std::sort(competing.begin(), competing.end());
    long idx = static_cast<long>(competing.size()) / config_.reduction_factor - 1;
    if (idx < 0) idx = 0;
    if (value > competing[static_cast<size_t>(idx)]) return true;
  }
}

bool SuccessiveHalvingPruner::ShouldPrune(const Trial& trial, int64_t step,
                                          const std::vector<Trial>& trials,
                                          Direction direction) const {
  return ShouldPruneAmong(trial, step, trials, direction, config_.min_early_stopping_rate,
                          [](const Trial&) { return true; });
}

HyperbandPruner::HyperbandPruner(const PrunerConfig& config) : config_(config), asha_(config) {
  const double ratio =
      static_cast<double>(config.max_resource) / static_cast<double>(config.min_resource);
  const int s_max = static_cast<int>(
      std::floor(std::log(ratio) / std::log(static_cast<double>(config.reduction_factor)) + 1e-9));
  double total = 0;
  for (int s = 0; s <= s_max; ++s) {
    // Bracket s starts at rung s: it has s_max - s + 1 rungs and eta^(s_max - s) starting
    // configurations per round in the synchronous algorithm.
    const double w =
        std::pow(static_cast<double>(config.reduction_factor), s_max - s) / (s_max - s + 1);
    total += w;
    bracket_weights_.push_back(total);
  }
  for (double& w : bracket_weights_) w /= total;
}

int HyperbandPruner::BracketOf(int64_t trial_number) const {
  const double u = static_cast<double>(Mix(static_cast<uint64_t>(trial_number)) >> 11) * 0x1.0p-53;
  for (size_t s = 0; s < bracket_weights_.size(); ++s)
    if (u < bracket_weights_[s]) return static_cast<int>(s);
  return static_cast<int>(bracket_weights_.size()) - 1;
}

bool HyperbandPruner::ShouldPrune(const Trial& trial, int64_t step,
                                  const std::vector<Trial>& trials, Direction direction) const {
  const int bracket = BracketOf(trial.number);
  return asha_.ShouldPruneAmong(trial, step, trials, direction, bracket,
                                [&](const Trial& t) { return BracketOf(t.number) == bracket; });
}

}  // namespace corral::tune
