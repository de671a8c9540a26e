#include "tune/gp_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <nlohmann/json.hpp>

#include "tune/sobol_sampler.h"

namespace corral::tune {
namespace {

constexpr double kSqrt5 = 2.2360679774997896964;

double NormalPdf(double z) { return 0.3989422804014327 * std::exp(-0.5 * z * z); }
double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// log of expected improvement below `best` for a Gaussian prediction, stable far in the tail.
double LogExpectedImprovement(double mean, double sd, double best) {
  const double z = (best - mean) / sd;
  if (z > -6) return std::log(sd) + std::log(std::max(z * NormalCdf(z) + NormalPdf(z), 1e-300));
  return std::log(sd) - 0.5 * z * z - 0.9189385332046727 - 2 * std::log(-z);
}

// The fitted model: inputs, targets, hyper-parameters and the factors for prediction.
struct GpModel {
  Eigen::MatrixXd x;  // n x p
  Eigen::VectorXd y;
  Eigen::VectorXd inv_ls;  // 1 / length scale
  double signal = 1, noise = 1e-4;
  Eigen::LLT<Eigen::MatrixXd> llt;
  Eigen::VectorXd alpha;

  double Kernel(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const {
    const double r = (a - b).cwiseProduct(inv_ls).norm();
    return signal * (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r);
  }

  bool Factor() {
    const auto n = x.rows();
    Eigen::MatrixXd k(n, n);
    for (Eigen::Index i = 0; i < n; ++i) {
      k(i, i) = signal + noise;
      for (Eigen::Index j = 0; j < i; ++j)
        k(i, j) = k(j, i) = Kernel(x.row(i).transpose(), x.row(j).transpose());
    }
    llt.compute(k);
    if (llt.info() != Eigen::Success) return false;
    alpha = llt.solve(y);
    return true;
  }

  // Predictive mean and standard deviation (noise-free) at the rows of `c`.
  void Predict(const Eigen::MatrixXd& c, Eigen::VectorXd& mean, Eigen::VectorXd& sd) const {
    const auto n = x.rows(), m = c.rows();
    Eigen::MatrixXd ks(n, m);
    for (Eigen::Index j = 0; j < m; ++j)
      for (Eigen::Index i = 0; i < n; ++i)
        ks(i, j) = Kernel(x.row(i).transpose(), c.row(j).transpose());
    mean = ks.transpose() * alpha;
    const Eigen::MatrixXd v = llt.matrixL().solve(ks);
    sd = (signal - v.colwise().squaredNorm().transpose().array()).cwiseMax(1e-12).sqrt();
  }
};

constexpr double kMinLogLs = -4.6, kMaxLogLs = 4.6;  // length scales in [0.01, 100]
constexpr double kMinLogSignal = -3, kMaxLogSignal = 3;
constexpr double kMinLogNoise = -13.8, kMaxLogNoise = -0.7;  // noise variance in [1e-6, 0.5]

// Negative log marginal likelihood with a log-normal prior on the length scales, and its gradient
// with respect to theta = (log length scales, log signal variance, log noise variance).
double Objective(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                 const std::vector<double>& theta, std::vector<double>& grad) {
  const auto n = x.rows(), p = x.cols();
  GpModel m;
  m.inv_ls.resize(p);
  for (Eigen::Index d = 0; d < p; ++d) m.inv_ls[d] = std::exp(-theta[static_cast<size_t>(d)]);
  m.signal = std::exp(theta[static_cast<size_t>(p)]);
  m.noise = std::exp(theta[static_cast<size_t>(p) + 1]);
  m.x = x;
  m.y = y;
  grad.assign(theta.size(), 0.0);
  if (!m.Factor()) return std::numeric_limits<double>::infinity();
  const Eigen::MatrixXd& l = m.llt.matrixL();
  double value = 0.5 * y.dot(m.alpha) + l.diagonal().array().log().sum();
  const Eigen::MatrixXd w =
      m.alpha * m.alpha.transpose() - m.llt.solve(Eigen::MatrixXd::Identity(n, n));
  // d(-LML)/d theta_j = -0.5 * sum(W .* dK/dtheta_j)
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < i; ++j) {
      const Eigen::ArrayXd diff2 =
          ((x.row(i) - x.row(j)).transpose().cwiseProduct(m.inv_ls)).array().square();
      const double r = std::sqrt(diff2.sum());
      const double e = std::exp(-kSqrt5 * r);
      const double kf = m.signal * (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * e;
      const double common = m.signal * (5.0 / 3.0) * (1 + kSqrt5 * r) * e;
      const double wij = w(i, j);  // counted twice (symmetric)
      for (Eigen::Index d = 0; d < p; ++d) grad[static_cast<size_t>(d)] -= wij * common * diff2[d];
      grad[static_cast<size_t>(p)] -= wij * kf;
    }
    grad[static_cast<size_t>(p)] -= 0.5 * w(i, i) * m.signal;
    grad[static_cast<size_t>(p) + 1] -= 0.5 * w(i, i) * m.noise;
  }
  // Prior on length scales: log l ~ N(sqrt(2) + log(p)/2, 3) (Hvarfner et al., 2024).
  const double prior_mean = std::sqrt(2.0) + 0.5 * std::log(static_cast<double>(p));
  for (Eigen::Index d = 0; d < p; ++d) {
    const double dev = theta[static_cast<size_t>(d)] - prior_mean;
    value += dev * dev / 6.0;
    grad[static_cast<size_t>(d)] += dev / 3.0;
  }
  return value;
}

// Adam on the objective, staying inside the hyper-parameter box.
void Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, std::vector<double>& theta,
         int iterations) {
  const size_t k = theta.size();
  const size_t p = k - 2;
  std::vector<double> m1(k, 0.0), m2(k, 0.0), grad, best = theta;
  double best_value = Objective(x, y, theta, grad);
  constexpr double kRate = 0.08, kB1 = 0.9, kB2 = 0.999;
  for (int it = 1; it <= iterations; ++it) {
    if (!std::isfinite(best_value)) break;
    for (size_t j = 0; j < k; ++j) {
      m1[j] = kB1 * m1[j] + (1 - kB1) * grad[j];
      m2[j] = kB2 * m2[j] + (1 - kB2) * grad[j] * grad[j];
      const double step = kRate * (m1[j] / (1 - std::pow(kB1, it))) /
                          (std::sqrt(m2[j] / (1 - std::pow(kB2, it))) + 1e-8);
      theta[j] -= step;
      if (j < p)
        theta[j] = std::clamp(theta[j], kMinLogLs, kMaxLogLs);
      else if (j == p)
        theta[j] = std::clamp(theta[j], kMinLogSignal, kMaxLogSignal);
      else
        theta[j] = std::clamp(theta[j], kMinLogNoise, kMaxLogNoise);
    }
    const double value = Objective(x, y, theta, grad);
    if (!std::isfinite(value)) break;
    if (value < best_value) {
      best_value = value;
      best = theta;
    }
  }
  theta = best;
}

}  // namespace

GpSampler::GpSampler(const SearchSpace& space, const GpOptions& options,
                     std::optional<SobolSequence> startup)
    : space_(space), options_(options), startup_(std::move(startup)) {
  for (size_t i = 0; i < space.size(); ++i)
    input_dims_ +=
        space.param(i).kind == ParamKind::kCategorical ? static_cast<int>(space.Cardinality(i)) : 1;
}

Eigen::VectorXd GpSampler::Encode(const Assignment& a) const {
  Eigen::VectorXd v = Eigen::VectorXd::Zero(input_dims_);
  Eigen::Index col = 0;
  for (size_t i = 0; i < space_.size(); ++i) {
    if (space_.param(i).kind == ParamKind::kCategorical) {
      if (!std::isnan(a[i])) v[col + static_cast<Eigen::Index>(a[i])] = 1.0;
      col += static_cast<Eigen::Index>(space_.Cardinality(i));
    } else {
      v[col++] = std::isnan(a[i]) ? 0.5 : space_.ToUnit(i, a[i]);
    }
  }
  return v;
}

Assignment GpSampler::Decode(const std::vector<double>& u) const {
  return FromUnitPoint(space_, u);
}

Result<Assignment> GpSampler::Suggest(const std::vector<Trial>& trials, Direction direction,
                                      Rng& rng) {
  std::vector<size_t> done, pending;
  for (size_t t = 0; t < trials.size(); ++t) {
    const Trial& tr = trials[t];
    if (tr.state == TrialState::kComplete && tr.value && std::isfinite(*tr.value))
      done.push_back(t);
    else if (tr.state == TrialState::kPending)
      pending.push_back(t);
  }
  const auto n_startup = static_cast<size_t>(options_.n_startup_trials);
  if (trials.size() < n_startup || done.size() < 2) {
    if (startup_ && trials.size() < n_startup) return Decode(startup_->Point(trials.size()));
    return SampleUniform(space_, rng);
  }

  // Targets: log(loss - min + eps), standardised. The log spreads out the region near the best
  // and compresses heavy bad tails (Rosenbrock-like objectives) without discarding magnitudes.
  const auto n = static_cast<Eigen::Index>(done.size());
  std::vector<double> loss(done.size());
  for (size_t k = 0; k < done.size(); ++k) loss[k] = Loss(direction, *trials[done[k]].value);
  std::vector<size_t> order(done.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return loss[a] < loss[b]; });
  const double lo = loss[order.front()], hi = loss[order.back()];
  const double median = loss[order[order.size() / 2]];
  const double eps = std::max(0.1 * (median - lo), 1e-9 * (1 + std::abs(hi - lo)));
  Eigen::VectorXd y(n);
  for (Eigen::Index k = 0; k < n; ++k) y[k] = std::log(loss[static_cast<size_t>(k)] - lo + eps);
  const double mean_y = y.mean();
  const double sd_y = std::sqrt((y.array() - mean_y).square().mean());
  y = (y.array() - mean_y) / (sd_y > 0 ? sd_y : 1.0);
  Eigen::MatrixXd x(n, input_dims_);
  for (Eigen::Index k = 0; k < n; ++k)
    x.row(k) = Encode(trials[done[static_cast<size_t>(k)]].params).transpose();

  const size_t n_theta = static_cast<size_t>(input_dims_) + 2;
  const bool warm = theta_.size() == n_theta;
  if (!warm) {
    theta_.assign(n_theta, std::sqrt(2.0) + 0.5 * std::log(static_cast<double>(input_dims_)) - 1.0);
    theta_[n_theta - 2] = 0.0;
    theta_[n_theta - 1] = std::log(1e-3);
  }
  Fit(x, y, theta_, warm ? 25 : 100);

  GpModel model;
  model.inv_ls.resize(input_dims_);
  for (Eigen::Index d = 0; d < input_dims_; ++d)
    model.inv_ls[d] = std::exp(-theta_[static_cast<size_t>(d)]);
  model.signal = std::exp(theta_[n_theta - 2]);
  model.noise = std::exp(theta_[n_theta - 1]);
  model.x = x;
  model.y = y;
  if (!model.Factor()) return SampleUniform(space_, rng);
  const double best = y.minCoeff();
  if (!pending.empty()) {
    // Kriging believer: pending trials are assumed to return what the model expects there.
    Eigen::MatrixXd px(static_cast<Eigen::Index>(pending.size()), input_dims_);
    for (size_t k = 0; k < pending.size(); ++k)
      px.row(static_cast<Eigen::Index>(k)) = Encode(trials[pending[k]].params).transpose();
    Eigen::VectorXd pm, psd;
    model.Predict(px, pm, psd);
    model.x.conservativeResize(n + px.rows(), Eigen::NoChange);
    model.x.bottomRows(px.rows()) = px;
    model.y.conservativeResize(n + px.rows());
    model.y.tail(px.rows()) = pm;
    if (!model.Factor()) return SampleUniform(space_, rng);
  }

  // Candidates in the unit cube of the parameters: uniform ones and perturbations of the best
  // trials; the best few are then refined by shrinking local moves.
  const size_t dims = space_.size();
  auto to_unit = [&](const Assignment& a) {
    std::vector<double> u(dims);
    for (size_t i = 0; i < dims; ++i)
      u[i] = std::isnan(a[i]) ? rng.Uniform01() : space_.ToUnit(i, a[i]);
    return u;
  };
  auto perturb = [&](std::vector<double> u, double scale) {
    for (size_t i = 0; i < dims; ++i) {
      if (space_.param(i).kind == ParamKind::kCategorical) {
        if (rng.Uniform01() < 1.0 / static_cast<double>(dims)) u[i] = rng.Uniform01();
      } else {
        u[i] = std::clamp(u[i] + scale * rng.Normal(), 0.0, 1.0);
      }
    }
    return u;
  };
  std::vector<std::vector<double>> cands;
  const auto n_cand = static_cast<size_t>(options_.n_candidates);
  for (size_t c = 0; c < n_cand / 2; ++c) {
    std::vector<double> u(dims);
    for (double& v : u) v = rng.Uniform01();
    cands.push_back(std::move(u));
  }
  const size_t n_top = std::min<size_t>(5, done.size());
  for (size_t c = 0; cands.size() < n_cand; ++c) {
    const size_t which = order[c % n_top];
    const double scale = (c / n_top) % 2 == 0 ? 0.1 : 0.02;
    cands.push_back(perturb(to_unit(trials[done[which]].params), scale));
  }
  auto score = [&](const std::vector<std::vector<double>>& us,
                   std::vector<Assignment>& assignments) {
    Eigen::MatrixXd c(static_cast<Eigen::Index>(us.size()), input_dims_);
    assignments.resize(us.size());
    for (size_t k = 0; k < us.size(); ++k) {
      assignments[k] = Decode(us[k]);
      c.row(static_cast<Eigen::Index>(k)) = Encode(assignments[k]).transpose();
    }
    Eigen::VectorXd mean, sd;
    model.Predict(c, mean, sd);
    std::vector<double> s(us.size());
    for (size_t k = 0; k < us.size(); ++k)
      s[k] = LogExpectedImprovement(mean[static_cast<Eigen::Index>(k)],
                                    sd[static_cast<Eigen::Index>(k)], best);
    return s;
  };
  std::vector<Assignment> assignments;
  std::vector<double> scores = score(cands, assignments);
  std::vector<size_t> rank(cands.size());
  std::iota(rank.begin(), rank.end(), 0);
  std::partial_sort(rank.begin(), rank.begin() + 3, rank.end(),
                    [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  size_t best_k = rank[0];
  Assignment best_a = assignments[best_k];
  double best_score = scores[best_k];
  for (size_t s = 0; s < 3; ++s) {
    std::vector<double> u = cands[rank[s]];
    double u_score = scores[rank[s]];
    for (double scale : {0.05, 0.02, 0.005}) {
      std::vector<std::vector<double>> local;
      for (int k = 0; k < 32; ++k) local.push_back(perturb(u, scale));
      std::vector<Assignment> la;
      const std::vector<double> ls = score(local, la);
      const size_t top = static_cast<size_t>(std::max_element(ls.begin(), ls.end()) - ls.begin());
      if (ls[top] > u_score) {
        u_score = ls[top];
        u = local[top];
        if (u_score > best_score) {
          best_score = u_score;
          best_a = la[top];
        }
      }
    }
  }
  return best_a;
}

nlohmann::json GpSampler::SaveState() const { return {{"theta", theta_}}; }

Status GpSampler::LoadState(const nlohmann::json& state) {
  if (!state.is_object() || !state.contains("theta") || !state["theta"].is_array())
    return InvalidArgument("sampler_state.theta", "missing");
  std::vector<double> theta;
  for (const auto& v : state["theta"]) {
    if (!v.is_number()) return InvalidArgument("sampler_state.theta", "must hold numbers");
    theta.push_back(v.get<double>());
  }
  theta_ = std::move(theta);
  return Status::Ok();
}

}  // namespace corral::tune
