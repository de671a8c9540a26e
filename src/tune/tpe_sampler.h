#pragma once

#include <optional>

#include "tune/sampler.h"
#include "tune/sobol_sequence.h"

namespace corral::tune {

// Tree-structured Parzen estimator. Observations are split into the best `gamma` fraction and
// the rest; candidates drawn from the good density l(x) are ranked by l(x)/g(x). Independent mode
// models each parameter on its own (conditional parameters only over trials where they were
// active); multivariate mode models the unconditional parameters jointly. Start-up trials come
// from a scrambled Sobol sequence rather than plain random draws.
class TpeSampler : public Sampler {
 public:
  TpeSampler(const SearchSpace& space, const TpeOptions& options,
             std::optional<SobolSequence> startup);
  Result<Assignment> Suggest(const std::vector<Trial>& trials, Direction direction,
                             Rng& rng) override;

 private:
  SearchSpace space_;
  TpeOptions options_;
  std::optional<SobolSequence> startup_;
};

}  // namespace corral::tune
