#pragma once

#include <cstddef>
#include <vector>

#include "tune/rng.h"
#include "tune/search_space.h"

namespace corral::tune {

// A weighted mixture of product kernels over some parameters of a space, in unit coordinates:
// truncated Gaussians on [0,1] for numeric parameters, smoothed one-hot distributions for
// categorical ones, plus a broad prior kernel. It is the density l(x) or g(x) of TPE.
class ParzenEstimator {
 public:
  struct Options {
    double prior_weight = 1.0;
    // One bandwidth for all kernels (Scott-like rule), as for the joint density; otherwise each
    // 1-D kernel takes the larger gap to its neighbours.
    bool multivariate = false;
    // Score with kernels of equal height (each numeric factor's density times its bandwidth) rather
    // than equal mass: wide kernels (isolated observations, the prior) count for more, so l(x)/g(x)
    // favours regions the bad group covers thinly. Sampling is unaffected.
    bool equal_height = false;
  };

  // `rows[k]` holds the observation's values for `dims` (unit coordinate for numeric parameters,
  // choice index for categorical ones); `weights[k]` its weight.
  ParzenEstimator(const SearchSpace& space, std::vector<size_t> dims,
                  const std::vector<std::vector<double>>& rows, const std::vector<double>& weights,
                  const Options& options);

  // Draws one point (values for `dims`, in the same encoding as the rows).
  std::vector<double> Sample(Rng& rng) const;
  // log density at a point given in the same encoding.
  double LogPdf(const double* x) const;

 private:
  size_t n_kernels_ = 0;
  std::vector<size_t> dims_;
  std::vector<bool> categorical_;
  std::vector<size_t> cat_size_;
  std::vector<size_t> cat_offset_;  // start of dim j's probabilities within a kernel's block
  size_t cat_block_ = 0;
  std::vector<double> weights_;    // normalized, for sampling
  std::vector<double> log_const_;  // log weight + log normalizers of the numeric factors
  std::vector<double> mu_, sigma_, inv_sigma_;  // [k * dims + j]
  std::vector<double> cat_logp_, cat_p_;        // [k * cat_block + offset + choice]
};

}  // namespace corral::tune
