#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "tune/pruner_config.h"
#include "tune/trial.h"

namespace corral::tune {

// Decides whether a running trial should stop early, from its own intermediate values and those
// of the other trials. Pruners hold no state of their own: the decision is a function of the
// trials, so a restored study decides exactly as before.
class Pruner {
 public:
  virtual ~Pruner() = default;
  // `trial` has just reported a value at `step` (already recorded in its intermediate values).
  virtual bool ShouldPrune(const Trial& trial, int64_t step, const std::vector<Trial>& trials,
                           Direction direction) const = 0;
};

Result<std::unique_ptr<Pruner>> MakePruner(const PrunerConfig& config);

}  // namespace corral::tune
