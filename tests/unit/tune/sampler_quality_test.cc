// Model-based samplers must beat random search on a simple function, over several seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "unit/tune/test_spaces.h"

namespace corral::tune {
namespace {

// A shifted, anisotropic quadratic on [0,1]^4 plus a categorical that matters.
double Objective(const Assignment& a) {
  const double c[] = {0.2, 0.7, 0.45, 0.9};
  const double w[] = {1, 3, 2, 0.5};
  double v = 0;
  for (int d = 0; d < 4; ++d) v += w[d] * (a[d] - c[d]) * (a[d] - c[d]);
  return v + (a[4] == 2 ? 0 : 0.3);
}

double BestAfter(SamplerConfig sampler, uint64_t seed, int n) {
  std::vector<ParamSpec> p;
  for (int d = 0; d < 4; ++d) p.push_back({.name = "x" + std::to_string(d), .low = 0, .high = 1});
  p.push_back({.name = "c", .kind = ParamKind::kCategorical, .choices = {"a", "b", "c"}});
  Study study = testing::MakeStudy(*SearchSpace::Create(p), sampler, seed);
  for (int i = 0; i < n; ++i) {
    auto t = study.Ask(1);
    EXPECT_TRUE(study.Tell((*t)[0].number, Objective((*t)[0].params)).ok());
  }
  return *study.Best()->value;
}

void ExpectBeatsRandom(SamplerConfig sampler, int n, int min_wins = 8, double ratio = 0.5) {
  std::vector<double> model, random;
  int wins = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    model.push_back(BestAfter(sampler, seed, n));
    random.push_back(BestAfter(testing::Sampler(SamplerKind::kRandom), seed, n));
    wins += model.back() < random.back();
  }
  std::sort(model.begin(), model.end());
  std::sort(random.begin(), random.end());
  EXPECT_GE(wins, min_wins);
  EXPECT_LT(model[5], ratio * random[5])
      << "median best " << model[5] << " vs random " << random[5];
}

TEST(SamplerQuality, TpeBeatsRandom) { ExpectBeatsRandom(testing::Sampler(SamplerKind::kTpe), 80); }
TEST(SamplerQuality, MultivariateTpeBeatsRandom) {
  ExpectBeatsRandom(testing::MultivariateTpe(), 80);
}
TEST(SamplerQuality, CmaEsBeatsRandom) {
  ExpectBeatsRandom(testing::Sampler(SamplerKind::kCmaEs), 150, 7, 0.75);
}
TEST(SamplerQuality, GpBeatsRandom) {
  SamplerConfig gp = testing::Sampler(SamplerKind::kGp);
  gp.gp.n_candidates = 500;
  ExpectBeatsRandom(gp, 40);
}

}  // namespace
}  // namespace corral::tune
