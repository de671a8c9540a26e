#pragma once

#include "tune/sampler.h"

namespace corral::tune {

class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(const SearchSpace& space) : space_(space) {}
  Result<Assignment> Suggest(const std::vector<Trial>& trials, Direction direction,
                             Rng& rng) override;

 private:
  SearchSpace space_;
};

}  // namespace corral::tune
