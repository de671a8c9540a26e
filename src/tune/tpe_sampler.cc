#include "tune/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "tune/parzen_estimator.h"
#include "tune/sobol_sampler.h"

namespace corral::tune {
namespace {

struct Observation {
  // Ranking key: complete trials first by loss, then pruned trials by how far they got and their
  // last loss, then pending trials (the "lie": worse than anything seen).
  int tier;
  double progress;
  double loss;
  size_t trial;  // index into the trials vector (creation order)
};

bool Better(const Observation& a, const Observation& b) {
  return std::tie(a.tier, a.progress, a.loss, a.trial) <
         std::tie(b.tier, b.progress, b.loss, b.trial);
}

// Older observations count less once there are many (the original TPE's ramp): the newest 25
// weigh 1, older ones ramp linearly from 1/n.
std::vector<double> RecencyWeights(size_t n) {
  std::vector<double> w(n, 1.0);
  constexpr size_t kFlat = 25;
  if (n <= kFlat) return w;
  const size_t ramp = n - kFlat;
  for (size_t i = 0; i < ramp; ++i)
    w[i] = ramp == 1 ? 1.0 / static_cast<double>(n)
                     : 1.0 / static_cast<double>(n) + (1.0 - 1.0 / static_cast<double>(n)) *
                                                          static_cast<double>(i) /
                                                          static_cast<double>(ramp - 1);
  return w;
}

double Encode(const SearchSpace& space, size_t i, double value) {
  return space.param(i).kind == ParamKind::kCategorical ? value : space.ToUnit(i, value);
}

double Decode(const SearchSpace& space, size_t i, double x) {
  return space.param(i).kind == ParamKind::kCategorical ? x : space.FromUnit(i, x);
}

}  // namespace

const TpeSampler::GroupWeights& TpeSampler::WeightsFor(size_t n) {
  for (const auto& [size, gw] : weight_cache_)
    if (size == n) return gw;
  GroupWeights gw;
  gw.w = RecencyWeights(n);
  gw.log_w.resize(n);
  for (size_t k = 0; k < n; ++k) gw.log_w[k] = std::log(gw.w[k]);
  weight_cache_.emplace_back(n, std::move(gw));
  return weight_cache_.back().second;
}

void TpeSampler::IndexTrials(const std::vector<Trial>& trials) {
  const size_t width = space_.size();
  // A shorter or different history (another study's trials) starts the index over.
  if (trials.size() < indexed_ ||
      (indexed_ > 0 && width > 0 && !std::isnan(encoded_[(indexed_ - 1) * width]) &&
       encoded_[(indexed_ - 1) * width] != Encode(space_, 0, trials[indexed_ - 1].params[0]))) {
    indexed_ = 0;
    encoded_.clear();
    by_value_.clear();
  }
  by_value_.resize(width);
  const size_t first_new = indexed_;
  for (size_t t = first_new; t < trials.size(); ++t) {
    const Assignment& a = trials[t].params;
    for (size_t i = 0; i < width; ++i)
      encoded_.push_back(std::isnan(a[i]) ? a[i] : Encode(space_, i, a[i]));
  }
  // Ascending value, ties by trial number. One new trial (the usual case) is inserted; a batch (a
  // restored study, a warm start) is appended and the list sorted once.
  const size_t added = trials.size() - first_new;
  for (size_t i = 0; i < width; ++i) {
    if (space_.param(i).kind == ParamKind::kCategorical) continue;
    std::vector<size_t>& order = by_value_[i];
    auto value = [&](size_t t) { return encoded_[t * width + i]; };
    if (added > 16) {
      for (size_t t = first_new; t < trials.size(); ++t)
        if (!std::isnan(value(t))) order.push_back(t);
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return value(a) < value(b) || (value(a) == value(b) && a < b);
      });
      continue;
    }
    for (size_t t = first_new; t < trials.size(); ++t) {
      const double v = value(t);
      if (std::isnan(v)) continue;
      order.insert(std::upper_bound(order.begin(), order.end(), v,
                                    [&](double x, size_t u) { return x < value(u); }),
                   t);
    }
  }
  indexed_ = trials.size();
}

TpeSampler::TpeSampler(const SearchSpace& space, const TpeOptions& options,
                       std::optional<SobolSequence> startup)
    : space_(space), options_(options), startup_(std::move(startup)) {}

Result<Assignment> TpeSampler::Suggest(const std::vector<Trial>& trials, Direction direction,
                                       Rng& rng) {
  thread_local std::vector<Observation> obs;  // kept between calls, as the other scratch
  obs.clear();
  size_t n_real = 0;
  for (size_t t = 0; t < trials.size(); ++t) {
    const Trial& tr = trials[t];
    if (tr.state == TrialState::kComplete && tr.value && std::isfinite(*tr.value)) {
      obs.push_back({0, 0.0, Loss(direction, *tr.value), t});
      ++n_real;
    } else if (tr.state == TrialState::kPruned && !tr.intermediate.empty() &&
               std::isfinite(tr.intermediate.back().second)) {
      obs.push_back({1, -static_cast<double>(tr.intermediate.back().first),
                     Loss(direction, tr.intermediate.back().second), t});
      ++n_real;
    } else if (tr.state == TrialState::kPending && options_.constant_liar) {
      obs.push_back({2, 0.0, 0.0, t});
    }
  }
  const auto n_startup = static_cast<size_t>(options_.n_startup_trials);
  if (trials.size() < n_startup || n_real < 2) {
    if (startup_ && trials.size() < n_startup)
      return FromUnitPoint(space_, startup_->Point(trials.size()));
    return SampleUniform(space_, rng);
  }

  // Group sizes grow by one per trial, so only recent sizes come back; trimmed here, never while a
  // fit holds references into the cache.
  while (weight_cache_.size() > 8) weight_cache_.pop_front();
  size_t n_below = static_cast<size_t>(std::ceil(options_.gamma * static_cast<double>(obs.size())));
  n_below = std::clamp<size_t>(n_below, 1,
                               std::min<size_t>(static_cast<size_t>(options_.gamma_max), n_real));
  // Only the membership of the best n_below matters (weights follow creation order within each
  // group), so a partition replaces a full sort.
  std::nth_element(obs.begin(), obs.begin() + static_cast<std::ptrdiff_t>(n_below - 1), obs.end(),
                   Better);
  IndexTrials(trials);
  group_of_.assign(trials.size(), -1);
  for (size_t r = 0; r < obs.size(); ++r) group_of_[obs[r].trial] = r < n_below ? 0 : 1;
  std::vector<size_t> below, above;
  below.reserve(n_below);
  above.reserve(obs.size() - n_below);
  for (size_t t = 0; t < trials.size(); ++t)
    if (group_of_[t] >= 0) (group_of_[t] == 0 ? below : above).push_back(t);

  ParzenEstimator::Options pe_options;
  pe_options.prior_weight = options_.prior_weight;
  pe_options.equal_height = options_.equal_height_kernels;
  const auto n_candidates = static_cast<size_t>(options_.n_ei_candidates);

  row_of_.resize(trials.size());
  const size_t width = space_.size();

  // Fits l and g over `dims` (using only trials where all of them are active) and returns the
  // candidate with the best log l - log g.
  auto choose = [&](const std::vector<size_t>& dims) {
    auto rows_of = [&](const std::vector<size_t>& group, std::vector<double>& rows) {
      rows.clear();
      rows.reserve(group.size() * dims.size());
      size_t n = 0;
      for (size_t t : group) {
        const double* e = &encoded_[t * width];
        bool active = true;
        for (size_t j = 0; j < dims.size() && active; ++j) active = !std::isnan(e[dims[j]]);
        if (!active) continue;
        for (size_t j = 0; j < dims.size(); ++j) rows.push_back(e[dims[j]]);
        row_of_[t] = n++;
      }
      return n;
    };
    const size_t n_l = rows_of(below, below_rows_);
    const size_t n_g = rows_of(above, above_rows_);
    // One numeric parameter: its rows in ascending order come from the index, not a sort.
    const bool one_numeric = dims.size() == 1 && !pe_options.multivariate &&
                             space_.param(dims[0]).kind != ParamKind::kCategorical;
    auto sorted_rows = [&](int group, size_t n) -> const size_t* {
      if (!one_numeric) return nullptr;
      sorted_rows_.clear();
      for (size_t t : by_value_[dims[0]])
        if (t < group_of_.size() && group_of_[t] == group) sorted_rows_.push_back(row_of_[t]);
      return sorted_rows_.size() == n ? sorted_rows_.data() : nullptr;
    };
    const GroupWeights& w_l = WeightsFor(n_l);
    const GroupWeights& w_g = WeightsFor(n_g);
    ParzenEstimator& l = below_model_;
    ParzenEstimator& g = above_model_;
    l.Fit(space_, dims, n_l, below_rows_.data(), w_l.w.data(), w_l.log_w.data(), pe_options,
          sorted_rows(0, n_l));
    g.Fit(space_, dims, n_g, above_rows_.data(), w_g.w.data(), w_g.log_w.data(), pe_options,
          sorted_rows(1, n_g));
    std::vector<double> best;
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < n_candidates; ++c) {
      std::vector<double> x = l.Sample(rng);
      const double score = l.LogPdf(x.data()) - g.LogPdf(x.data());
      if (best.empty() || score > best_score) {
        best_score = score;
        best = std::move(x);
      }
    }
    return best;
  };

  Assignment a(space_.size(), std::nan(""));
  std::vector<bool> decided(space_.size(), false);
  if (options_.multivariate) {
    pe_options.multivariate = true;
    std::vector<size_t> joint;
    for (size_t i = 0; i < space_.size(); ++i)
      if (space_.parent(i) < 0) joint.push_back(i);
    const std::vector<double> x = choose(joint);
    for (size_t j = 0; j < joint.size(); ++j) {
      a[joint[j]] = Decode(space_, joint[j], x[j]);
      decided[joint[j]] = true;
    }
    pe_options.multivariate = false;
  }
  for (size_t i = 0; i < space_.size(); ++i) {
    if (decided[i]) continue;
    if (!space_.IsActive(i, a)) continue;
    a[i] = Decode(space_, i, choose({i})[0]);
  }
  space_.MaskInactive(a);
  return a;
}

}  // namespace corral::tune
