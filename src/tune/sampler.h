#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "tune/rng.h"
#include "tune/sampler_config.h"
#include "tune/search_space.h"
#include "tune/trial.h"

namespace corral::tune {

// Proposes configurations from the history of a study. Samplers do no I/O; whatever they keep
// between calls is in SaveState so that a study restored from its state continues identically.
class Sampler {
 public:
  virtual ~Sampler() = default;

  // The next configuration to try, given every trial so far (pending ones included: the sampler
  // should keep away from them). Returns kResourceExhausted when nothing is left to propose.
  virtual Result<Assignment> Suggest(const std::vector<Trial>& trials, Direction direction,
                                     Rng& rng) = 0;

  // Called once when a trial leaves the pending state.
  virtual void OnTrialFinished(const Trial& trial, Direction direction) {}

  virtual nlohmann::json SaveState() const;
  virtual Status LoadState(const nlohmann::json& state);
};

// Checks the config against the space (e.g. grid needs a step for every float) and builds the
// sampler. `seed` fixes anything drawn once (Sobol scrambling).
Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerConfig& config, const SearchSpace& space,
                                             uint64_t seed);

// A configuration drawn uniformly (inactive parameters masked).
Assignment SampleUniform(const SearchSpace& space, Rng& rng);

}  // namespace corral::tune
