#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "tune/rng.h"
#include "tune/search_space.h"

namespace corral::tune {

// A weighted mixture of product kernels over some parameters of a space, in unit coordinates:
// truncated Gaussians on [0,1] for numeric parameters, smoothed one-hot distributions for
// categorical ones, plus a broad prior kernel. It is the density l(x) or g(x) of TPE.
//
// LogPdf is a log-sum-exp over kernels that drops every kernel scoring more than 40 below the best
// one (a relative contribution under 4e-18). Kernels are scored in blocks laid out by dimension;
// for a single numeric parameter the blocks hold neighbouring centres and carry an upper bound on
// any member's score, so whole blocks that cannot clear the cutoff are skipped. The result is the
// same as evaluating every kernel, up to the order of floating-point additions.
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

  // `n` observations, row-major in `rows` (`dims.size()` values each: unit coordinate for numeric
  // parameters, choice index for categorical ones). `weights[k]` is observation k's weight;
  // `log_weights`, when not null, holds their logarithms (callers fitting several estimators over
  // the same observations compute them once). `sorted`, when not null and there is a single
  // numeric parameter, lists the row indices in ascending order of value (ties by index), sparing
  // the sort a caller can maintain incrementally.
  ParzenEstimator(const SearchSpace& space, std::vector<size_t> dims, size_t n, const double* rows,
                  const double* weights, const double* log_weights, const Options& options) {
    Fit(space, std::move(dims), n, rows, weights, log_weights, options);
  }
  ParzenEstimator() = default;
  // Refits in place, reusing the storage of earlier fits (a sampler refits two estimators per
  // parameter on every suggestion; fresh buffers each time cost more than the arithmetic).
  void Fit(const SearchSpace& space, std::vector<size_t> dims, size_t n, const double* rows,
           const double* weights, const double* log_weights, const Options& options,
           const size_t* sorted = nullptr);

  // Draws one point (values for `dims`, in the same encoding as the rows).
  std::vector<double> Sample(Rng& rng) const;
  // log density at a point given in the same encoding.
  double LogPdf(const double* x) const;
  // The same value computed from every kernel, without blocks (reference for tests).
  double LogPdfExhaustive(const double* x) const;

 private:
  // log weight + log kernel k at x, term by term from the fitted parameters.
  double KernelScore(size_t k, const double* x) const;
  static constexpr size_t kBlock = 32;

  void BuildBlocks(size_t n, const std::vector<size_t>& order);
  struct LogSumExp;
  // Adds the kernels of block b at x to the sum.
  void ScoreBlock(size_t b, const double* x, LogSumExp& lse) const;

  size_t n_kernels_ = 0;
  bool has_prior_ = false;
  std::vector<size_t> dims_;
  std::vector<size_t> numeric_;  // positions within dims_ of the numeric parameters
  std::vector<bool> categorical_;
  std::vector<size_t> cat_size_;
  std::vector<size_t> cat_offset_;  // start of dim j's probabilities within a kernel's block
  size_t cat_block_ = 0;
  // Kernels in observation order (the prior last), as sampled.
  std::vector<double> weights_;           // normalized, for sampling
  std::vector<double> log_const_;         // log weight + log normalizers of the numeric factors
  std::vector<double> mu_, sigma_;        // [k * dims + j]
  std::vector<double> cat_logp_, cat_p_;  // [k * cat_block + offset + choice]

  // The observation kernels again (sorted by value when spatial_), laid out by numeric dimension
  // ([i * m + r], m = observations) for the scoring loops.
  std::vector<double> e_mu_, e_inv_, e_const_, e_cat_logp_;
  bool shared_bandwidth_ = false;  // e_inv_ unused: every kernel has shared_inv_[i]
  std::vector<double> shared_inv_;
  // Per block: largest log constant, bounding box of the centres and smallest inverse bandwidth
  // per numeric dimension ([b * numeric + i]), largest log probability per categorical choice.
  std::vector<double> b_const_, b_lo_, b_hi_, b_min_inv_, b_cat_max_;
  size_t n_blocks_ = 0;
  bool spatial_ = false;  // blocks hold nearby centres and carry bounds (one numeric dimension)
  // A single categorical parameter: the density is a table over its choices.
  std::vector<double> table_logp_;
  // Scratch of Fit.
  std::vector<std::pair<double, size_t>> sort_scratch_;
  std::vector<size_t> order_scratch_;
  std::vector<double> mass_scratch_, tail_arg_scratch_, tail_scratch_;
};

}  // namespace corral::tune
