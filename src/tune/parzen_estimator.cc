#include "tune/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace corral::tune {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

}  // namespace

ParzenEstimator::ParzenEstimator(const SearchSpace& space, std::vector<size_t> dims,
                                 const std::vector<std::vector<double>>& rows,
                                 const std::vector<double>& weights, const Options& options)
    : dims_(std::move(dims)) {
  const size_t n = rows.size();
  const size_t nd = dims_.size();
  const bool prior = options.prior_weight > 0 || n == 0;
  n_kernels_ = n + (prior ? 1 : 0);
  categorical_.resize(nd);
  cat_offset_.resize(nd);
  cat_size_.assign(nd, 0);
  for (size_t j = 0; j < nd; ++j) {
    categorical_[j] = space.param(dims_[j]).kind == ParamKind::kCategorical;
    if (categorical_[j]) {
      cat_offset_[j] = cat_block_;
      cat_size_[j] = space.Cardinality(dims_[j]);
      cat_block_ += cat_size_[j];
    }
  }
  weights_.resize(n_kernels_);
  for (size_t k = 0; k < n; ++k) weights_[k] = weights[k];
  if (prior) weights_[n] = n == 0 ? 1.0 : options.prior_weight;
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= total;

  mu_.assign(n_kernels_ * nd, 0.5);
  sigma_.assign(n_kernels_ * nd, 1.0);
  inv_sigma_.assign(n_kernels_ * nd, 1.0);
  cat_p_.assign(n_kernels_ * cat_block_, 0.0);
  log_const_.resize(n_kernels_);
  for (size_t k = 0; k < n_kernels_; ++k) log_const_[k] = std::log(weights_[k]);

  const double min_sigma = 1.0 / std::min(100.0, 1.0 + static_cast<double>(n_kernels_));
  const double scott = 0.2 * std::pow(std::max<double>(static_cast<double>(n), 1.0),
                                      -1.0 / (static_cast<double>(nd) + 4.0));
  for (size_t j = 0; j < nd; ++j) {
    if (categorical_[j]) {
      const size_t c = space.Cardinality(dims_[j]);
      const double smooth = n > 0 ? options.prior_weight / static_cast<double>(n) : 0.0;
      for (size_t k = 0; k < n; ++k) {
        double* p = &cat_p_[k * cat_block_ + cat_offset_[j]];
        const double norm = 1.0 + smooth * static_cast<double>(c);
        for (size_t q = 0; q < c; ++q) p[q] = smooth / norm;
        p[static_cast<size_t>(rows[k][j])] += 1.0 / norm;
      }
      if (prior)
        for (size_t q = 0; q < c; ++q)
          cat_p_[n * cat_block_ + cat_offset_[j] + q] = 1.0 / static_cast<double>(c);
      continue;
    }
    for (size_t k = 0; k < n; ++k) mu_[k * nd + j] = rows[k][j];
    if (options.multivariate) {
      for (size_t k = 0; k < n; ++k) sigma_[k * nd + j] = scott;
    } else if (n > 0) {
      // Larger of the gaps to the two neighbours (the outermost kernels take their one inner gap),
      // as in the original TPE.
      std::vector<std::pair<double, size_t>> pts;
      pts.reserve(n + 1);
      for (size_t k = 0; k < n; ++k) pts.emplace_back(rows[k][j], k);
      if (prior) pts.emplace_back(0.5, n);  // the prior's centre counts as a neighbour
      std::sort(pts.begin(), pts.end());
      const size_t m = pts.size();
      for (size_t r = 0; r < m; ++r) {
        const double v = pts[r].first;
        const double left = r > 0 ? v - pts[r - 1].first : (m >= 2 ? pts[1].first - v : v);
        const double right =
            r + 1 < m ? pts[r + 1].first - v : (m >= 2 ? v - pts[m - 2].first : 1.0 - v);
        if (pts[r].second < n) sigma_[pts[r].second * nd + j] = std::max(left, right);
      }
    }
    for (size_t k = 0; k < n; ++k) {
      double& s = sigma_[k * nd + j];
      s = std::clamp(s, min_sigma, 1.0);
    }
  }
  for (size_t k = 0; k < n_kernels_; ++k) {
    for (size_t j = 0; j < nd; ++j) {
      if (categorical_[j]) continue;
      const double m = mu_[k * nd + j], s = sigma_[k * nd + j];
      inv_sigma_[k * nd + j] = 1.0 / s;
      const double z = NormalCdf((1.0 - m) / s) - NormalCdf(-m / s);
      log_const_[k] -=
          (options.equal_height ? 0.0 : std::log(s)) + kLogSqrt2Pi + std::log(std::max(z, 1e-300));
    }
  }
  cat_logp_.resize(cat_p_.size());
  for (size_t q = 0; q < cat_p_.size(); ++q) cat_logp_[q] = std::log(std::max(cat_p_[q], 1e-300));
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

double ParzenEstimator::LogPdf(const double* x) const {
  const size_t nd = dims_.size();
  double best = -std::numeric_limits<double>::infinity();
  thread_local std::vector<double> scores;
  scores.resize(n_kernels_);
  for (size_t k = 0; k < n_kernels_; ++k) {
    double s = log_const_[k];
    const double* mu = &mu_[k * nd];
    const double* inv = &inv_sigma_[k * nd];
    for (size_t j = 0; j < nd; ++j) {
      if (categorical_[j]) {
        s += cat_logp_[k * cat_block_ + cat_offset_[j] + static_cast<size_t>(x[j])];
      } else {
        const double z = (x[j] - mu[j]) * inv[j];
        s -= 0.5 * z * z;
      }
    }
    scores[k] = s;
    best = std::max(best, s);
  }
  double sum = 0;
  for (size_t k = 0; k < n_kernels_; ++k) {
    const double d = scores[k] - best;
    if (d > -40) sum += std::exp(d);
  }
  return best + std::log(sum);
}

}  // namespace corral::tune
