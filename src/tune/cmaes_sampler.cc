#include "tune/cmaes_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace corral::tune {
namespace {

using nlohmann::json;

json VectorToJson(const Eigen::VectorXd& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

bool VectorFromJson(const json& j, Eigen::Index n, Eigen::VectorXd& out) {
  if (!j.is_array() || static_cast<Eigen::Index>(j.size()) != n) return false;
  out.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!j[static_cast<size_t>(i)].is_number()) return false;
    out[i] = j[static_cast<size_t>(i)].get<double>();
  }
  return true;
}

}  // namespace

CmaEsSampler::CmaEsSampler(const SearchSpace& space, const CmaEsOptions& options)
    : space_(space), options_(options) {
  for (size_t i = 0; i < space.size(); ++i)
    if (space.IsNumeric(i) && space.parent(i) < 0) dims_.push_back(i);
  const double d = static_cast<double>(std::max<size_t>(dims_.size(), 1));
  lambda_ = options.population > 0 ? options.population
                                   : 4 + static_cast<int>(std::floor(3 * std::log(d)));
  lambda_ = std::max(lambda_, 2);
  mu_ = lambda_ / 2;
  weights_.resize(mu_);
  for (int i = 0; i < mu_; ++i) weights_[i] = std::log((lambda_ + 1) / 2.0) - std::log(i + 1.0);
  weights_ /= weights_.sum();
  mu_eff_ = 1.0 / weights_.squaredNorm();
  c_sigma_ = (mu_eff_ + 2) / (d + mu_eff_ + 5);
  d_sigma_ = 1 + 2 * std::max(0.0, std::sqrt((mu_eff_ - 1) / (d + 1)) - 1) + c_sigma_;
  c_c_ = (4 + mu_eff_ / d) / (d + 4 + 2 * mu_eff_ / d);
  c_1_ = 2 / ((d + 1.3) * (d + 1.3) + mu_eff_);
  c_mu_ = std::min(1 - c_1_, 2 * (mu_eff_ - 2 + 1 / mu_eff_) / ((d + 2) * (d + 2) + mu_eff_));
  chi_n_ = std::sqrt(d) * (1 - 1 / (4 * d) + 1 / (21 * d * d));
  Reset();
}

void CmaEsSampler::Reset() {
  const auto n = static_cast<Eigen::Index>(dims_.size());
  mean_ = Eigen::VectorXd::Constant(n, 0.5);
  p_sigma_ = Eigen::VectorXd::Zero(n);
  p_c_ = Eigen::VectorXd::Zero(n);
  cov_ = Eigen::MatrixXd::Identity(n, n);
  sigma_ = options_.sigma0 > 0 ? options_.sigma0 : 1.0 / 6.0;
  Decompose();
}

void CmaEsSampler::Decompose() {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov_);
  basis_ = eig.eigenvectors();
  scales_ = eig.eigenvalues().cwiseMax(1e-20).cwiseSqrt();
}

Result<Assignment> CmaEsSampler::Suggest(const std::vector<Trial>& trials, Direction, Rng& rng) {
  Assignment a = SampleUniform(space_, rng);
  if (dims_.empty() || trials.size() < static_cast<size_t>(options_.n_startup_trials)) return a;
  const auto n = static_cast<Eigen::Index>(dims_.size());
  Eigen::VectorXd x(n), z(n);
  // Resample points outside the cube a few times, then clip (as the reference implementation).
  for (int tries = 0; tries < 100; ++tries) {
    for (Eigen::Index i = 0; i < n; ++i) z[i] = rng.Normal();
    x = mean_ + sigma_ * (basis_ * scales_.cwiseProduct(z));
    if ((x.array() >= 0).all() && (x.array() <= 1).all()) break;
  }
  x = x.cwiseMax(0.0).cwiseMin(1.0);
  for (Eigen::Index i = 0; i < n; ++i)
    a[dims_[static_cast<size_t>(i)]] = space_.FromUnit(dims_[static_cast<size_t>(i)], x[i]);
  space_.MaskInactive(a);
  asked_[static_cast<int64_t>(trials.size())] = Asked{generation_, x};
  return a;
}

void CmaEsSampler::OnTrialFinished(const Trial& trial, Direction direction) {
  auto it = asked_.find(trial.number);
  if (it == asked_.end()) return;
  Asked asked = std::move(it->second);
  asked_.erase(it);
  if (asked.generation != generation_) return;
  double loss = std::numeric_limits<double>::infinity();
  if (trial.state == TrialState::kComplete && trial.value && std::isfinite(*trial.value))
    loss = Loss(direction, *trial.value);
  else if (trial.state == TrialState::kPruned && !trial.intermediate.empty())
    loss = Loss(direction, trial.intermediate.back().second);
  results_.emplace_back(std::move(asked.x),
                        std::isnan(loss) ? std::numeric_limits<double>::infinity() : loss);
  if (results_.size() >= static_cast<size_t>(lambda_)) Update();
}

void CmaEsSampler::Update() {
  std::stable_sort(results_.begin(), results_.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  const auto n = static_cast<Eigen::Index>(dims_.size());
  const double d = static_cast<double>(n);
  Eigen::MatrixXd y(n, mu_);
  for (int i = 0; i < mu_; ++i)
    y.col(i) = (results_[static_cast<size_t>(i)].first - mean_) / sigma_;
  const Eigen::VectorXd y_w = y * weights_;
  mean_ += sigma_ * y_w;
  const Eigen::MatrixXd inv_sqrt =
      basis_ * scales_.cwiseInverse().asDiagonal() * basis_.transpose();
  p_sigma_ =
      (1 - c_sigma_) * p_sigma_ + std::sqrt(c_sigma_ * (2 - c_sigma_) * mu_eff_) * (inv_sqrt * y_w);
  const double ps_norm = p_sigma_.norm();
  const double h_sigma =
      ps_norm / std::sqrt(1 - std::pow(1 - c_sigma_, 2.0 * static_cast<double>(generation_ + 1))) <
              (1.4 + 2 / (d + 1)) * chi_n_
          ? 1.0
          : 0.0;
  p_c_ = (1 - c_c_) * p_c_ + h_sigma * std::sqrt(c_c_ * (2 - c_c_) * mu_eff_) * y_w;
  Eigen::MatrixXd rank_mu = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < mu_; ++i) rank_mu += weights_[i] * y.col(i) * y.col(i).transpose();
  cov_ = (1 - c_1_ - c_mu_ + (1 - h_sigma) * c_1_ * c_c_ * (2 - c_c_)) * cov_ +
         c_1_ * p_c_ * p_c_.transpose() + c_mu_ * rank_mu;
  cov_ = 0.5 * (cov_ + cov_.transpose());
  sigma_ *= std::exp((c_sigma_ / d_sigma_) * (ps_norm / chi_n_ - 1));
  sigma_ = std::min(sigma_, 1.0);
  ++generation_;
  results_.clear();
  Decompose();
  // A collapsed or degenerate distribution starts over from the centre (the next generation's
  // trials then explore again rather than repeat one point).
  if (!(sigma_ * scales_.maxCoeff() > 1e-10) || !std::isfinite(cov_.sum())) Reset();
}

json CmaEsSampler::SaveState() const {
  json asked = json::array();
  for (const auto& [number, a] : asked_)
    asked.push_back({{"trial", number}, {"generation", a.generation}, {"x", VectorToJson(a.x)}});
  json results = json::array();
  for (const auto& [x, loss] : results_)
    results.push_back(
        {{"x", VectorToJson(x)}, {"loss", std::isfinite(loss) ? json(loss) : json(nullptr)}});
  const auto n = static_cast<Eigen::Index>(dims_.size());
  std::vector<double> cov(cov_.data(), cov_.data() + n * n);
  return {{"generation", generation_},
          {"mean", VectorToJson(mean_)},
          {"sigma", sigma_},
          {"p_sigma", VectorToJson(p_sigma_)},
          {"p_c", VectorToJson(p_c_)},
          {"cov", cov},
          {"asked", asked},
          {"results", results}};
}

Status CmaEsSampler::LoadState(const json& s) {
  const auto n = static_cast<Eigen::Index>(dims_.size());
  const std::string f = "sampler_state";
  if (!s.is_object()) return InvalidArgument(f, "CMA-ES state must be an object");
  if (!s.contains("generation") || !s["generation"].is_number_integer())
    return InvalidArgument(f + ".generation", "missing");
  if (!s.contains("sigma") || !s["sigma"].is_number())
    return InvalidArgument(f + ".sigma", "missing");
  Eigen::VectorXd mean, ps, pc, cov_flat;
  if (!VectorFromJson(s.value("mean", json()), n, mean))
    return InvalidArgument(f + ".mean", "bad vector");
  if (!VectorFromJson(s.value("p_sigma", json()), n, ps))
    return InvalidArgument(f + ".p_sigma", "bad vector");
  if (!VectorFromJson(s.value("p_c", json()), n, pc))
    return InvalidArgument(f + ".p_c", "bad vector");
  if (!VectorFromJson(s.value("cov", json()), n * n, cov_flat))
    return InvalidArgument(f + ".cov", "bad matrix");
  std::map<int64_t, Asked> asked;
  for (const auto& a : s.value("asked", json::array())) {
    Asked one;
    if (!a.contains("trial") || !a.contains("generation") ||
        !VectorFromJson(a.value("x", json()), n, one.x))
      return InvalidArgument(f + ".asked", "bad entry");
    one.generation = a["generation"].get<int64_t>();
    asked[a["trial"].get<int64_t>()] = std::move(one);
  }
  std::vector<std::pair<Eigen::VectorXd, double>> results;
  for (const auto& r : s.value("results", json::array())) {
    Eigen::VectorXd x;
    if (!VectorFromJson(r.value("x", json()), n, x))
      return InvalidArgument(f + ".results", "bad entry");
    const json& loss = r.value("loss", json());
    results.emplace_back(std::move(x), loss.is_number() ? loss.get<double>()
                                                        : std::numeric_limits<double>::infinity());
  }
  generation_ = s["generation"].get<int64_t>();
  sigma_ = s["sigma"].get<double>();
  mean_ = mean;
  p_sigma_ = ps;
  p_c_ = pc;
  cov_ = Eigen::Map<Eigen::MatrixXd>(cov_flat.data(), n, n);
  asked_ = std::move(asked);
  results_ = std::move(results);
  Decompose();
  return Status::Ok();
}

}  // namespace corral::tune
