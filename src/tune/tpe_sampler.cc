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

TpeSampler::TpeSampler(const SearchSpace& space, const TpeOptions& options,
                       std::optional<SobolSequence> startup)
    : space_(space), options_(options), startup_(std::move(startup)) {}

Result<Assignment> TpeSampler::Suggest(const std::vector<Trial>& trials, Direction direction,
                                       Rng& rng) {
  std::vector<Observation> obs;
  obs.reserve(trials.size());
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

  std::sort(obs.begin(), obs.end(), Better);
  size_t n_below = static_cast<size_t>(std::ceil(options_.gamma * static_cast<double>(obs.size())));
  n_below = std::clamp<size_t>(n_below, 1,
                               std::min<size_t>(static_cast<size_t>(options_.gamma_max), n_real));
  // Within each group, weights follow creation order.
  std::vector<size_t> below, above;
  for (size_t r = 0; r < obs.size(); ++r) (r < n_below ? below : above).push_back(obs[r].trial);
  std::sort(below.begin(), below.end());
  std::sort(above.begin(), above.end());

  ParzenEstimator::Options pe_options;
  pe_options.prior_weight = options_.prior_weight;
  pe_options.equal_height = options_.equal_height_kernels;
  const auto n_candidates = static_cast<size_t>(options_.n_ei_candidates);

  // Fits l and g over `dims` (using only trials where all of them are active) and returns the
  // candidate with the best log l - log g.
  auto choose = [&](const std::vector<size_t>& dims) {
    auto rows_of = [&](const std::vector<size_t>& group, std::vector<std::vector<double>>& rows,
                       std::vector<double>& weights) {
      for (size_t t : group) {
        const Assignment& a = trials[t].params;
        std::vector<double> row(dims.size());
        bool active = true;
        for (size_t j = 0; j < dims.size() && active; ++j) {
          if (std::isnan(a[dims[j]]))
            active = false;
          else
            row[j] = Encode(space_, dims[j], a[dims[j]]);
        }
        if (active) rows.push_back(std::move(row));
      }
      weights = RecencyWeights(rows.size());
    };
    std::vector<std::vector<double>> below_rows, above_rows;
    std::vector<double> below_w, above_w;
    rows_of(below, below_rows, below_w);
    rows_of(above, above_rows, above_w);
    const ParzenEstimator l(space_, dims, below_rows, below_w, pe_options);
    const ParzenEstimator g(space_, dims, above_rows, above_w, pe_options);
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
    // Joint kernels share one bandwidth, so equal heights would only inflate the prior kernel (by
    // a factor growing exponentially with the dimension).
    pe_options.equal_height = false;
    std::vector<size_t> joint;
    for (size_t i = 0; i < space_.size(); ++i)
      if (space_.parent(i) < 0) joint.push_back(i);
    const std::vector<double> x = choose(joint);
    for (size_t j = 0; j < joint.size(); ++j) {
      a[joint[j]] = Decode(space_, joint[j], x[j]);
      decided[joint[j]] = true;
    }
    pe_options.multivariate = false;
    pe_options.equal_height = options_.equal_height_kernels;
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
