#pragma once

#include <gtest/gtest.h>

#include "tune/search_space.h"
#include "tune/study.h"

namespace corral::tune::testing {

// float, log-float, int, log-int, stepped float, categorical, and a conditional int.
inline SearchSpace MixedSpace() {
  std::vector<ParamSpec> p(7);
  p[0] = {.name = "x", .kind = ParamKind::kFloat, .low = -5, .high = 10};
  p[1] = {.name = "lr", .kind = ParamKind::kFloat, .low = 1e-5, .high = 1e-1, .log = true};
  p[2] = {.name = "layers", .kind = ParamKind::kInt, .low = 1, .high = 8};
  p[3] = {.name = "units", .kind = ParamKind::kInt, .low = 8, .high = 1024, .log = true};
  p[4] = {.name = "dropout", .kind = ParamKind::kFloat, .low = 0, .high = 0.5, .step = 0.1};
  p[5] = {.name = "opt", .kind = ParamKind::kCategorical, .choices = {"sgd", "adam", "rmsprop"}};
  p[6] = {.name = "momentum_steps",
          .kind = ParamKind::kInt,
          .low = 0,
          .high = 20,
          .step = 5,
          .condition = ParamCondition{"opt", {"sgd"}}};
  auto space = SearchSpace::Create(p);
  EXPECT_TRUE(space.ok()) << space.status().ToString();
  return *space;
}

inline SearchSpace BoxSpace(int dims, double low = 0, double high = 1) {
  std::vector<ParamSpec> p;
  for (int d = 0; d < dims; ++d)
    p.push_back(
        {.name = "x" + std::to_string(d), .kind = ParamKind::kFloat, .low = low, .high = high});
  return *SearchSpace::Create(p);
}

inline Study MakeStudy(const SearchSpace& space, SamplerConfig sampler, uint64_t seed,
                       PrunerConfig pruner = {}) {
  StudyConfig c;
  c.space = space;
  c.sampler = sampler;
  c.pruner = pruner;
  c.seed = seed;
  auto s = Study::Create(c);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

inline SamplerConfig Sampler(SamplerKind kind) {
  SamplerConfig c;
  c.kind = kind;
  return c;
}

inline SamplerConfig MultivariateTpe() {
  SamplerConfig c;
  c.kind = SamplerKind::kTpe;
  c.tpe.multivariate = true;
  return c;
}

}  // namespace corral::tune::testing
