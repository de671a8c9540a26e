#pragma once

#include <map>

#include <Eigen/Dense>

#include "tune/sampler.h"

namespace corral::tune {

// (mu/mu_w, lambda)-CMA-ES on the unit cube of the unconditional numeric parameters (Hansen's
// standard update, rank-one + rank-mu). Categorical and conditional parameters are drawn at
// random. Asks are tagged with the generation that produced them; a generation updates the
// distribution once lambda of its own trials have finished, so parallel asks work, and results
// from older generations are ignored.
class CmaEsSampler : public Sampler {
 public:
  CmaEsSampler(const SearchSpace& space, const CmaEsOptions& options);
  Result<Assignment> Suggest(const std::vector<Trial>& trials, Direction direction,
                             Rng& rng) override;
  void OnTrialFinished(const Trial& trial, Direction direction) override;
  nlohmann::json SaveState() const override;
  Status LoadState(const nlohmann::json& state) override;

 private:
  void Reset();
  void Decompose();
  void Update();

  struct Asked {
    int64_t generation;
    Eigen::VectorXd x;
  };

  SearchSpace space_;
  CmaEsOptions options_;
  std::vector<size_t> dims_;  // parameters evolved by CMA-ES
  int lambda_ = 0, mu_ = 0;
  Eigen::VectorXd weights_;
  double mu_eff_ = 0, c_sigma_ = 0, d_sigma_ = 0, c_c_ = 0, c_1_ = 0, c_mu_ = 0, chi_n_ = 0;

  // Evolving state (saved).
  int64_t generation_ = 0;
  Eigen::VectorXd mean_, p_sigma_, p_c_;
  Eigen::MatrixXd cov_;
  double sigma_ = 0;
  std::map<int64_t, Asked> asked_;                           // by trial number, until finished
  std::vector<std::pair<Eigen::VectorXd, double>> results_;  // current generation's (x, loss)

  // Derived from cov_ (not saved).
  Eigen::MatrixXd basis_;
  Eigen::VectorXd scales_;
};

}  // namespace corral::tune
