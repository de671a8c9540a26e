#pragma once

#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "tune/parzen_estimator.h"
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
  struct GroupWeights {
    std::vector<double> w, log_w;
  };
  // Recency weights and their logs for a group of n observations.
  const GroupWeights& WeightsFor(size_t n);

  // Brings encoded_ and by_value_ up to date with `trials`.
  void IndexTrials(const std::vector<Trial>& trials);

  SearchSpace space_;
  TpeOptions options_;
  std::optional<SobolSequence> startup_;
  // Reused between suggestions: at thousands of trials, fresh buffers on every call cost more than
  // the model arithmetic (the allocator returns and refaults the memory each time).
  ParzenEstimator below_model_, above_model_;
  std::vector<double> below_rows_, above_rows_;
  std::deque<std::pair<size_t, GroupWeights>> weight_cache_;  // references stay valid on growth
  // Per trial (creation order) and parameter, the value in the models' encoding (NaN when
  // inactive); per numeric parameter, the trials in ascending order of it. Trials are only ever
  // appended and their parameters never change, so both grow by the new trials on each call.
  std::vector<double> encoded_;
  std::vector<std::vector<size_t>> by_value_;
  size_t indexed_ = 0;
  std::vector<int> group_of_;   // 0 good, 1 bad, -1 neither (this call)
  std::vector<size_t> row_of_;  // row of a trial within its group's fit
  std::vector<size_t> sorted_rows_;
};

}  // namespace corral::tune
