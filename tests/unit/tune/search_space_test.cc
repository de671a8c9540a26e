#include "tune/search_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tune/rng.h"
#include "tune/sampler.h"
#include "unit/tune/test_spaces.h"

namespace corral::tune {
namespace {

using testing::MixedSpace;

TEST(SearchSpace, UniformSamplesRespectBoundsLogStepAndConditions) {
  const SearchSpace space = MixedSpace();
  Rng rng(3);
  int sgd = 0, log_low_decade = 0, log_high_decade = 0;
  std::set<double> layers, dropout;
  for (int i = 0; i < 5000; ++i) {
    Assignment a = SampleUniform(space, rng);
    ASSERT_TRUE(space.Validate(a).ok()) << space.Validate(a).ToString();
    EXPECT_GE(a[0], -5);
    EXPECT_LE(a[0], 10);
    layers.insert(a[2]);
    dropout.insert(a[4]);
    // Log-uniform: each decade of lr gets about a quarter of the draws.
    if (a[1] < 1e-4) ++log_low_decade;
    if (a[1] > 1e-2) ++log_high_decade;
    const bool is_sgd = a[5] == 0;
    sgd += is_sgd;
    EXPECT_EQ(std::isnan(a[6]), !is_sgd);
    if (is_sgd) {
      EXPECT_EQ(std::fmod(a[6], 5.0), 0.0);
    }
  }
  EXPECT_EQ(layers.size(), 8u);
  EXPECT_EQ(dropout, (std::set<double>{0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5}));
  EXPECT_NEAR(log_low_decade, 1250, 150);
  EXPECT_NEAR(log_high_decade, 1250, 150);
  EXPECT_NEAR(sgd, 5000 / 3, 150);
}

TEST(SearchSpace, UnitMappingRoundTripsGridValues) {
  const SearchSpace space = MixedSpace();
  for (size_t i = 0; i < space.size(); ++i) {
    if (space.Cardinality(i) == 0) continue;
    for (size_t k = 0; k < space.Cardinality(i); ++k) {
      const double v = space.DiscreteValue(i, k);
      EXPECT_EQ(space.FromUnit(i, space.ToUnit(i, v)), v) << space.param(i).name << " " << k;
    }
  }
  EXPECT_EQ(space.FromUnit(0, 0.0), -5);
  EXPECT_EQ(space.FromUnit(0, 1.0), 10);
  EXPECT_NEAR(space.FromUnit(1, 0.5), 1e-3, 1e-12);
}

TEST(SearchSpace, InvalidSpecsNameTheField) {
  auto check = [](std::vector<ParamSpec> p, const std::string& field) {
    auto s = SearchSpace::Create(p);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.status().field(), field) << s.status().ToString();
  };
  check({{.name = "a", .low = 1, .high = 0}}, "params[0].high");
  check({{.name = "a", .low = 0, .high = 1, .log = true}}, "params[0].low");
  check({{.name = "a", .low = 0, .high = 1}, {.name = "a", .low = 0, .high = 1}}, "params[1].name");
  check({{.name = "a", .kind = ParamKind::kInt, .low = 0.5, .high = 3}}, "params[0].low");
  check({{.name = "a", .kind = ParamKind::kCategorical}}, "params[0].choices");
  check({{.name = "a", .low = 1, .high = 2, .log = true, .step = 0.5}}, "params[0].step");
  check({{.name = "b", .low = 0, .high = 1, .condition = ParamCondition{"a", {"x"}}}},
        "params[0].condition.parent");
  check({{.name = "a", .kind = ParamKind::kCategorical, .choices = {"x", "y"}},
         {.name = "b", .low = 0, .high = 1, .condition = ParamCondition{"a", {"z"}}}},
        "params[1].condition.values");
  check({}, "params");
}

TEST(SearchSpace, JsonRoundTripAndErrors) {
  const SearchSpace space = MixedSpace();
  auto back = SearchSpace::FromJson(space.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), space.ToJson());
  auto bad = SearchSpace::FromJson(
      nlohmann::json::parse(R"({"params":[{"name":"a","type":"float","low":0,"hi":1}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "params[0].hi");
  bad = SearchSpace::FromJson(
      nlohmann::json::parse(R"({"params":[{"name":"a","type":"complex","low":0,"high":1}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "params[0].type");
  bad = SearchSpace::FromJson(
      nlohmann::json::parse(R"({"params":[{"name":"a","type":"float","low":"0","high":1}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "params[0].low");
}

TEST(SearchSpace, ValidateRejectsOffGridAndInactiveValues) {
  const SearchSpace space = MixedSpace();
  Assignment a = {0, 1e-3, 2, 16, 0.2, 1, std::nan("")};
  EXPECT_TRUE(space.Validate(a).ok());
  a[4] = 0.25;
  EXPECT_EQ(space.Validate(a).field(), "params.dropout");
  a[4] = 0.2;
  a[6] = 5;  // opt=adam: momentum_steps is inactive
  EXPECT_EQ(space.Validate(a).field(), "params.momentum_steps");
  a[5] = 0;
  EXPECT_TRUE(space.Validate(a).ok());
  a[0] = 11;
  EXPECT_EQ(space.Validate(a).field(), "params.x");
}

}  // namespace
}  // namespace corral::tune
