#pragma once

#include "tune/sampler.h"
#include "tune/sobol_sequence.h"

namespace corral::tune {

// Quasi-random space filling: trial k gets the k-th scrambled Sobol point (so a batch of 2^m
// trials stratifies every parameter into 2^m cells).
class SobolSampler : public Sampler {
 public:
  SobolSampler(const SearchSpace& space, SobolSequence sequence)
      : space_(space), sequence_(std::move(sequence)) {}
  Result<Assignment> Suggest(const std::vector<Trial>& trials, Direction direction,
                             Rng& rng) override;
  nlohmann::json SaveState() const override;
  Status LoadState(const nlohmann::json& state) override;

 private:
  SearchSpace space_;
  SobolSequence sequence_;
  uint64_t next_index_ = 0;
};

// Maps a unit-cube point (one coordinate per parameter) into the space.
Assignment FromUnitPoint(const SearchSpace& space, const std::vector<double>& u);

}  // namespace corral::tune
