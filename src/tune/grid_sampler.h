#pragma once

#include "tune/sampler.h"

namespace corral::tune {

// Every combination of the parameters' discrete values, in mixed-radix order (the first
// parameter varies slowest), each exactly once; then kResourceExhausted.
class GridSampler : public Sampler {
 public:
  static Result<std::unique_ptr<GridSampler>> Create(const SearchSpace& space);
  Result<Assignment> Suggest(const std::vector<Trial>& trials, Direction direction,
                             Rng& rng) override;
  nlohmann::json SaveState() const override;
  Status LoadState(const nlohmann::json& state) override;
  uint64_t grid_size() const { return grid_size_; }

 private:
  explicit GridSampler(const SearchSpace& space) : space_(space) {}
  SearchSpace space_;
  uint64_t grid_size_ = 1;
  uint64_t next_index_ = 0;
};

}  // namespace corral::tune
