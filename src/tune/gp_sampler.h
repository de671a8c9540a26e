#pragma once

#include <optional>

#include <Eigen/Dense>

#include "tune/sampler.h"
#include "tune/sobol_sequence.h"

namespace corral::tune {

// Gaussian-process Bayesian optimisation for small budgets (tens to a few hundred trials):
// Matern-5/2 kernel with one length scale per input (log-normal prior scaled with the dimension,
// which keeps high-dimensional fits from over-fitting), hyper-parameters fitted by gradient ascent
// on the marginal likelihood warm-started from the previous fit, losses log-transformed above
// their minimum and standardised, and expected improvement maximised over random and local
// candidates. Categorical parameters are one-hot inputs. Pending trials enter at the model's mean
// prediction (kriging believer), so a parallel batch spreads out. Start-up trials follow a Sobol
// sequence.
class GpSampler : public Sampler {
 public:
  GpSampler(const SearchSpace& space, const GpOptions& options,
            std::optional<SobolSequence> startup);
  Result<Assignment> Suggest(const std::vector<Trial>& trials, Direction direction,
                             Rng& rng) override;
  nlohmann::json SaveState() const override;
  Status LoadState(const nlohmann::json& state) override;

 private:
  // Model input (one row) for an assignment.
  Eigen::VectorXd Encode(const Assignment& a) const;
  // Snaps a point of the unit cube (one coordinate per parameter) to a real configuration.
  Assignment Decode(const std::vector<double>& u) const;

  SearchSpace space_;
  GpOptions options_;
  std::optional<SobolSequence> startup_;
  int input_dims_ = 0;
  // log length scales (input_dims_), log signal variance, log noise variance: the last fit, the
  // starting point of the next one (saved, so a restored study fits identically).
  std::vector<double> theta_;
};

}  // namespace corral::tune
