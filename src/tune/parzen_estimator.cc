#include "tune/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "tune/vector_math.h"

namespace corral::tune {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kInvSqrt2 = 0.70710678118654752440;
// Kernels scoring this far below the best one are left out of the sum (exp(-40) < 4.3e-18).
constexpr double kCutoff = 40.0;

// Normal mass beyond t >= 0 standard deviations, given t / sqrt(2) (clamped to kTailEnd) and its
// erfc. Past 6 (t = 8.5) it is under half an ulp of 1, so counting it as zero there leaves every
// truncation normalizer unchanged.
constexpr double kTailEnd = 6.0;
double UpperTail(double t_over_sqrt2, double erfc_of_it) {
  return t_over_sqrt2 >= kTailEnd ? 0.0 : 0.5 * erfc_of_it;
}
// Mass every choice of a categorical kernel gets besides its own, before normalizing.
double CategoricalSmoothing(double prior_weight, size_t n, bool has_prior) {
  if (n == 0) return 0.0;
  return prior_weight / static_cast<double>(n + (has_prior ? 1 : 0));
}

// exp of scores further than this below the best is not needed (they are cut off at kCutoff);
// clamping keeps the vector exp on its fast path.
constexpr double kExpFloor = -60.0;

}  // namespace

// Log-sum-exp in one pass: terms are scaled by the largest score seen so far and those more than
// kCutoff below it are left out. A term kept before the maximum rose past it is then under
// exp(-kCutoff) of the total: the same sum up to rounding.
struct ParzenEstimator::LogSumExp {
  double best = -std::numeric_limits<double>::infinity();
  double sum = 0;
  void Raise(double m) {
    sum = best - m > -kCutoff ? sum * std::exp(best - m) : 0.0;
    best = m;
  }
  void Add(double s) {
    if (s > best) Raise(s);
    if (s - best > -kCutoff) sum += std::exp(s - best);
  }
};

void ParzenEstimator::Fit(const SearchSpace& space, std::vector<size_t> dims, size_t n,
                          const double* rows, const double* weights, const double* log_weights,
                          const Options& options, const size_t* sorted) {
  dims_ = std::move(dims);
  numeric_.clear();
  cat_block_ = 0;
  n_blocks_ = 0;
  spatial_ = false;
  table_logp_.clear();
  const size_t nd = dims_.size();
  has_prior_ = options.prior_weight > 0 || n == 0;
  n_kernels_ = n + (has_prior_ ? 1 : 0);
  categorical_.resize(nd);
  cat_offset_.resize(nd);
  cat_size_.assign(nd, 0);
  for (size_t j = 0; j < nd; ++j) {
    categorical_[j] = space.param(dims_[j]).kind == ParamKind::kCategorical;
    if (categorical_[j]) {
      cat_offset_[j] = cat_block_;
      cat_size_[j] = space.Cardinality(dims_[j]);
      cat_block_ += cat_size_[j];
    } else {
      numeric_.push_back(j);
    }
  }
  weights_.resize(n_kernels_);
  for (size_t k = 0; k < n; ++k) weights_[k] = weights[k];
  const double prior_raw = n == 0 ? 1.0 : options.prior_weight;
  if (has_prior_) weights_[n] = prior_raw;
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= total;
  const double log_total = std::log(total);
  log_const_.resize(n_kernels_);
  for (size_t k = 0; k < n; ++k)
    log_const_[k] = (log_weights != nullptr ? log_weights[k] : std::log(weights[k])) - log_total;
  if (has_prior_) log_const_[n] = std::log(prior_raw) - log_total;

  mu_.assign(n_kernels_ * nd, 0.5);
  sigma_.assign(n_kernels_ * nd, 1.0);
  cat_p_.assign(n_kernels_ * cat_block_, 0.0);
  cat_logp_.assign(n_kernels_ * cat_block_, 0.0);

  const double min_sigma = 1.0 / std::min(100.0, 1.0 + static_cast<double>(n_kernels_));
  const double scott = 0.2 * std::pow(std::max<double>(static_cast<double>(n), 1.0),
                                      -1.0 / (static_cast<double>(nd) + 4.0));
  std::vector<size_t>& sorted_1d = order_scratch_;  // observations by value, for one numeric dim
  sorted_1d.clear();
  for (size_t j = 0; j < nd; ++j) {
    if (categorical_[j]) {
      const size_t c = space.Cardinality(dims_[j]);
      // Every choice gets prior_weight / (kernels) of mass before normalizing; the prior kernel
      // counts among the kernels (Optuna 3.1's _calculate_categorical_params).
      const double smooth = CategoricalSmoothing(options.prior_weight, n, has_prior_);
      const double norm = 1.0 + smooth * static_cast<double>(c);
      // Every observation kernel holds the same two values; their logs are taken once.
      const double p_other = smooth / norm, p_own = p_other + 1.0 / norm;
      const double logp_other = std::log(std::max(p_other, 1e-300));
      const double logp_own = std::log(std::max(p_own, 1e-300));
      for (size_t k = 0; k < n; ++k) {
        const size_t base = k * cat_block_ + cat_offset_[j];
        const auto own = static_cast<size_t>(rows[k * nd + j]);
        for (size_t q = 0; q < c; ++q) {
          cat_p_[base + q] = q == own ? p_own : p_other;
          cat_logp_[base + q] = q == own ? logp_own : logp_other;
        }
      }
      if (has_prior_) {
        const double logp = std::log(1.0 / static_cast<double>(c));
        for (size_t q = 0; q < c; ++q) {
          cat_p_[n * cat_block_ + cat_offset_[j] + q] = 1.0 / static_cast<double>(c);
          cat_logp_[n * cat_block_ + cat_offset_[j] + q] = logp;
        }
      }
      continue;
    }
    for (size_t k = 0; k < n; ++k) mu_[k * nd + j] = rows[k * nd + j];
    if (options.multivariate) {
      for (size_t k = 0; k < n; ++k) sigma_[k * nd + j] = scott;
    } else if (n > 0) {
      // Larger of the gaps to the two neighbours (the outermost kernels take their one inner gap),
      // as in the original TPE.
      std::vector<std::pair<double, size_t>>& pts = sort_scratch_;
      pts.clear();
      // The prior's centre counts as a neighbour; it sorts after observations equal to 0.5.
      if (sorted != nullptr && nd == 1) {
        bool prior_placed = !has_prior_;
        for (size_t r = 0; r < n; ++r) {
          const double v = rows[sorted[r]];
          if (!prior_placed && v > 0.5) {
            pts.emplace_back(0.5, n);
            prior_placed = true;
          }
          pts.emplace_back(v, sorted[r]);
        }
        if (!prior_placed) pts.emplace_back(0.5, n);
      } else {
        for (size_t k = 0; k < n; ++k) pts.emplace_back(rows[k * nd + j], k);
        if (has_prior_) pts.emplace_back(0.5, n);
        std::sort(pts.begin(), pts.end());
      }
      const size_t m = pts.size();
      for (size_t r = 0; r < m; ++r) {
        const double v = pts[r].first;
        const double left = r > 0 ? v - pts[r - 1].first : (m >= 2 ? pts[1].first - v : v);
        const double right =
            r + 1 < m ? pts[r + 1].first - v : (m >= 2 ? v - pts[m - 2].first : 1.0 - v);
        if (pts[r].second < n) sigma_[pts[r].second * nd + j] = std::max(left, right);
      }
      if (nd == 1) {
        sorted_1d.reserve(n);
        for (const auto& p : pts)
          if (p.second < n) sorted_1d.push_back(p.second);
      }
    }
    for (size_t k = 0; k < n; ++k) {
      double& s = sigma_[k * nd + j];
      s = std::clamp(s, min_sigma, 1.0);
    }
  }
  // Truncation to [0,1] and (unless equal heights) the bandwidth normalize each numeric factor.
  // The tails are computed a dimension at a time over all kernels, so that erfc runs vectorized;
  // the product over dimensions keeps their order.
  std::vector<double>& mass = mass_scratch_;
  std::vector<double>& tail_arg = tail_arg_scratch_;
  std::vector<double>& tail = tail_scratch_;
  mass.assign(n_kernels_, 1.0);
  tail_arg.resize(2 * n_kernels_);
  for (size_t j : numeric_) {
    for (size_t k = 0; k < n_kernels_; ++k) {
      const double m = mu_[k * nd + j], s = sigma_[k * nd + j];
      tail_arg[2 * k] = std::min(m / s * kInvSqrt2, kTailEnd);
      tail_arg[2 * k + 1] = std::min((1.0 - m) / s * kInvSqrt2, kTailEnd);
    }
    tail = tail_arg;
    ErfcInPlace(tail.data(), tail.size());
    for (size_t k = 0; k < n_kernels_; ++k)
      mass[k] *= std::max(1.0 - UpperTail(tail_arg[2 * k], tail[2 * k]) -
                              UpperTail(tail_arg[2 * k + 1], tail[2 * k + 1]),
                          1e-300);
  }
  std::vector<double> last_sigma(nd, -1.0), last_log_sigma(nd, 0.0);
  for (size_t k = 0; k < n_kernels_; ++k) {
    double log_sigma = 0.0;
    if (!options.equal_height) {
      for (size_t j : numeric_) {
        const double s = sigma_[k * nd + j];
        if (s != last_sigma[j]) {
          last_sigma[j] = s;
          last_log_sigma[j] = std::log(s);
        }
        log_sigma += last_log_sigma[j];
      }
    }
    log_const_[k] -= log_sigma + static_cast<double>(numeric_.size()) * kLogSqrt2Pi +
                     (mass[k] == 1.0 ? 0.0 : std::log(mass[k]));
  }

  if (nd == 1 && categorical_[0]) {
    // One categorical parameter: its density is a table over the choices. Observation kernels
    // differ only in which choice is their own, so the mass of choice q is the common floor plus
    // the weight of the observations that chose q (choices with equal weight tie exactly).
    const size_t c = cat_block_;
    std::vector<double> own_weight(c, 0.0);
    for (size_t k = 0; k < n; ++k) own_weight[static_cast<size_t>(rows[k])] += weights_[k];
    const double floor_weight = std::accumulate(weights_.begin(), weights_.begin() + n, 0.0);
    const double smooth = CategoricalSmoothing(options.prior_weight, n, has_prior_);
    const double norm = 1.0 + smooth * static_cast<double>(c);
    table_logp_.assign(c, 0.0);
    for (size_t q = 0; q < c; ++q) {
      double p = floor_weight * (smooth / norm) + own_weight[q] / norm;
      if (has_prior_) p += weights_[n] / static_cast<double>(c);
      table_logp_[q] = std::log(std::max(p, 1e-300));
    }
    return;
  }
  if (n == 0) return;
  // Blocks pay where their bounds are tight: one numeric dimension, in sorted order. For a joint
  // density the cutoff reaches about 9 bandwidths in every direction, and boxes from median splits
  // pruned too few kernels to repay the splitting (measured on the 5-D space of bench/tune's S1),
  // so joint kernels stay in observation order and every block is scored.
  spatial_ = sorted_1d.size() == n;
  if (!spatial_) {
    sorted_1d.resize(n);
    std::iota(sorted_1d.begin(), sorted_1d.end(), size_t{0});
  }
  BuildBlocks(n, sorted_1d);
}

void ParzenEstimator::BuildBlocks(size_t m, const std::vector<size_t>& order) {
  const size_t nd = dims_.size(), nn = numeric_.size();
  n_blocks_ = (m + kBlock - 1) / kBlock;
  // Padded to whole blocks (kernels that never count: score -inf) so that the scoring loops have
  // a fixed trip count the compiler vectorizes.
  const size_t stride = n_blocks_ * kBlock;
  e_mu_.assign(nn * stride, 0.0);
  e_const_.assign(stride, -std::numeric_limits<double>::infinity());
  e_cat_logp_.assign(stride * cat_block_, 0.0);
  // Joint kernels share one bandwidth per dimension: then the scoring loops read a scalar.
  shared_bandwidth_ = m > 0;
  for (size_t r = 1; r < m && shared_bandwidth_; ++r)
    for (size_t j : numeric_)
      shared_bandwidth_ =
          shared_bandwidth_ && sigma_[order[r] * nd + j] == sigma_[order[0] * nd + j];
  shared_inv_.assign(nn, 0.0);
  if (shared_bandwidth_)
    for (size_t i = 0; i < nn; ++i) shared_inv_[i] = 1.0 / sigma_[order[0] * nd + numeric_[i]];
  else
    e_inv_.assign(nn * stride, 0.0);
  for (size_t r = 0; r < m; ++r) {
    const size_t k = order[r];
    for (size_t i = 0; i < nn; ++i) {
      e_mu_[i * stride + r] = mu_[k * nd + numeric_[i]];
      if (!shared_bandwidth_) e_inv_[i * stride + r] = 1.0 / sigma_[k * nd + numeric_[i]];
    }
    e_const_[r] = log_const_[k];
    if (cat_block_ > 0)  // no categorical dims: the tables are empty and must not be indexed
      std::copy_n(&cat_logp_[k * cat_block_], cat_block_, &e_cat_logp_[r * cat_block_]);
  }
  if (!spatial_) return;
  const double inf = std::numeric_limits<double>::infinity();
  b_const_.assign(n_blocks_, -inf);
  b_lo_.assign(n_blocks_ * nn, inf);
  b_hi_.assign(n_blocks_ * nn, -inf);
  b_min_inv_.assign(n_blocks_ * nn, inf);
  b_cat_max_.assign(n_blocks_ * cat_block_, -inf);
  for (size_t b = 0; b < n_blocks_; ++b) {
    const size_t r1 = std::min(m, (b + 1) * kBlock);
    for (size_t r = b * kBlock; r < r1; ++r) {
      b_const_[b] = std::max(b_const_[b], e_const_[r]);
      for (size_t i = 0; i < nn; ++i) {
        b_lo_[b * nn + i] = std::min(b_lo_[b * nn + i], e_mu_[i * stride + r]);
        b_hi_[b * nn + i] = std::max(b_hi_[b * nn + i], e_mu_[i * stride + r]);
        b_min_inv_[b * nn + i] = std::min(
            b_min_inv_[b * nn + i], shared_bandwidth_ ? shared_inv_[i] : e_inv_[i * stride + r]);
      }
      for (size_t e = 0; e < cat_block_; ++e)
        b_cat_max_[b * cat_block_ + e] =
            std::max(b_cat_max_[b * cat_block_ + e], e_cat_logp_[r * cat_block_ + e]);
    }
  }
}

void ParzenEstimator::ScoreBlock(size_t b, const double* x, LogSumExp& lse) const {
  const size_t stride = e_const_.size(), r0 = b * kBlock;
  double acc[kBlock];
  for (size_t t = 0; t < kBlock; ++t) acc[t] = e_const_[r0 + t];
  for (size_t i = 0; i < numeric_.size(); ++i) {
    const double v = x[numeric_[i]];
    const double* mu = &e_mu_[i * stride + r0];
    if (shared_bandwidth_) {
      const double inv = shared_inv_[i];
      for (size_t t = 0; t < kBlock; ++t) {
        const double z = (v - mu[t]) * inv;
        acc[t] -= 0.5 * z * z;
      }
    } else {
      const double* inv = &e_inv_[i * stride + r0];
      for (size_t t = 0; t < kBlock; ++t) {
        const double z = (v - mu[t]) * inv[t];
        acc[t] -= 0.5 * z * z;
      }
    }
  }
  for (size_t j = 0; j < dims_.size(); ++j) {
    if (!categorical_[j]) continue;
    const double* logp = &e_cat_logp_[r0 * cat_block_ + cat_offset_[j] + static_cast<size_t>(x[j])];
    for (size_t t = 0; t < kBlock; ++t) acc[t] += logp[t * cat_block_];
  }
  double top = acc[0];
  for (size_t t = 1; t < kBlock; ++t) top = std::max(top, acc[t]);
  if (top > lse.best) lse.Raise(top);
  double e[kBlock];
  for (size_t t = 0; t < kBlock; ++t) e[t] = std::max(acc[t] - lse.best, kExpFloor);
  ExpInPlace(e, kBlock);
  for (size_t t = 0; t < kBlock; ++t)
    if (acc[t] - lse.best > -kCutoff) lse.sum += e[t];
}

std::vector<double> ParzenEstimator::Sample(Rng& rng) const {
  double r = rng.Uniform01();
  size_t k = 0;
  for (; k + 1 < n_kernels_; ++k) {
    r -= weights_[k];
    if (r < 0) break;
  }
  const size_t nd = dims_.size();
  std::vector<double> x(nd);
  for (size_t j = 0; j < nd; ++j) {
    if (categorical_[j]) {
      const double* p = &cat_p_[k * cat_block_ + cat_offset_[j]];
      const size_t c = cat_size_[j];
      double u = rng.Uniform01();
      size_t q = 0;
      for (; q + 1 < c; ++q) {
        u -= p[q];
        if (u < 0) break;
      }
      x[j] = static_cast<double>(q);
      continue;
    }
    const double m = mu_[k * nd + j], s = sigma_[k * nd + j];
    double v = -1;
    for (int tries = 0; tries < 64 && (v < 0 || v > 1); ++tries) v = m + s * rng.Normal();
    x[j] = std::clamp(v, 0.0, 1.0);
  }
  return x;
}

double ParzenEstimator::KernelScore(size_t k, const double* x) const {
  const size_t nd = dims_.size();
  double s = log_const_[k];
  for (size_t j = 0; j < nd; ++j) {
    if (categorical_[j]) {
      s += cat_logp_[k * cat_block_ + cat_offset_[j] + static_cast<size_t>(x[j])];
    } else {
      const double z = (x[j] - mu_[k * nd + j]) / sigma_[k * nd + j];
      s -= 0.5 * z * z;
    }
  }
  return s;
}

double ParzenEstimator::LogPdf(const double* x) const {
  if (!table_logp_.empty()) return table_logp_[static_cast<size_t>(x[0])];
  const size_t nd = dims_.size(), nn = numeric_.size();
  thread_local std::vector<double> bound;
  LogSumExp lse;
  if (has_prior_) {
    // The prior is broad and always evaluated: it sets a first floor for the cutoff.
    lse.Add(KernelScore(n_kernels_ - 1, x));
  }
  if (!spatial_) {
    for (size_t b = 0; b < n_blocks_; ++b) ScoreBlock(b, x, lse);
  } else if (n_blocks_ > 0) {
    // Upper bound of every member's score per block: nearest corner of the box of centres at
    // the widest bandwidth, with the block's largest constant and category probabilities.
    bound.resize(n_blocks_);
    size_t first = 0;
    for (size_t b = 0; b < n_blocks_; ++b) {
      double ub = b_const_[b];
      for (size_t i = 0; i < nn; ++i) {
        const double v = x[numeric_[i]], lo = b_lo_[b * nn + i], hi = b_hi_[b * nn + i];
        const double d = v < lo ? lo - v : (v > hi ? v - hi : 0.0);
        const double z = d * b_min_inv_[b * nn + i];
        ub -= 0.5 * z * z;
      }
      for (size_t j = 0; j < nd; ++j)
        if (categorical_[j])
          ub += b_cat_max_[b * cat_block_ + cat_offset_[j] + static_cast<size_t>(x[j])];
      bound[b] = ub;
      if (ub > bound[first]) first = b;
    }
    // The most promising block first, so that the cutoff is near its final value early.
    ScoreBlock(first, x, lse);
    for (size_t b = 0; b < n_blocks_; ++b)
      if (b != first && bound[b] > lse.best - kCutoff) ScoreBlock(b, x, lse);
  }
  return lse.best + std::log(lse.sum);
}

double ParzenEstimator::LogPdfExhaustive(const double* x) const {
  std::vector<double> scores(n_kernels_);
  double best = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < n_kernels_; ++k) {
    const double s = KernelScore(k, x);
    scores[k] = s;
    best = std::max(best, s);
  }
  double sum = 0;
  for (const double s : scores)
    if (s - best > -kCutoff) sum += std::exp(s - best);
  return best + std::log(sum);
}

}  // namespace corral::tune
