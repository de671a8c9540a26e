#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "tune/search_space.h"

namespace corral::tune {

enum class Direction { kMinimize, kMaximize };

enum class TrialState { kPending, kComplete, kPruned, kFailed };

const char* TrialStateName(TrialState state);

// One evaluation of the objective at one configuration.
struct Trial {
  int64_t number = 0;  // 0, 1, 2, ... in the order the study created them
  TrialState state = TrialState::kPending;
  Assignment params;
  std::optional<double> value;  // the objective as reported (complete trials)
  // (step, value) pairs in increasing step order; a repeated step replaces the earlier value.
  std::vector<std::pair<int64_t, double>> intermediate;
};

// Objective values turned into losses (lower is better) whatever the study's direction, so that
// samplers and pruners are written once.
inline double Loss(Direction direction, double value) {
  return direction == Direction::kMinimize ? value : -value;
}

}  // namespace corral::tune
