#include "tune/katib_algorithm.h"

#include <gtest/gtest.h>

namespace corral::tune {
namespace {

TEST(KatibAlgorithm, MapsNamesAndSettings) {
  auto mv =
      AlgorithmFromKatib("multivariate-tpe", {{"n_startup_trials", "5"}, {"random_state", "7"}});
  ASSERT_TRUE(mv.ok()) << mv.status().ToString();
  EXPECT_EQ(mv->sampler.kind, SamplerKind::kTpe);
  EXPECT_TRUE(mv->sampler.tpe.multivariate);
  EXPECT_EQ(mv->sampler.tpe.n_startup_trials, 5);
  EXPECT_EQ(mv->seed, 7u);
  auto hb =
      AlgorithmFromKatib("hyperband", {{"r_l", "81"}, {"eta", "3"}, {"resource_name", "epochs"}});
  ASSERT_TRUE(hb.ok());
  ASSERT_TRUE(hb->pruner.has_value());
  EXPECT_EQ(hb->pruner->kind, PrunerKind::kHyperband);
  EXPECT_EQ(hb->pruner->max_resource, 81);
  EXPECT_EQ(hb->resource_name, "epochs");
  auto bo = AlgorithmFromKatib("bayesianoptimization",
                               {{"base_estimator", "GP"}, {"n_initial_points", "8"}});
  ASSERT_TRUE(bo.ok());
  EXPECT_EQ(bo->sampler.kind, SamplerKind::kGp);
  EXPECT_EQ(bo->sampler.gp.n_startup_trials, 8);
  for (const char* name : {"random", "grid", "tpe", "cmaes", "sobol"})
    EXPECT_TRUE(AlgorithmFromKatib(name, {}).ok()) << name;
}

TEST(KatibAlgorithm, UnknownNamesAndSettingsNameTheField) {
  auto bad = AlgorithmFromKatib("enas", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "algorithm.algorithmName");
  bad = AlgorithmFromKatib("tpe", {{"n_startup_trials", "5"}, {"gamma", "0.2"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "algorithm.algorithmSettings[1]");
  bad = AlgorithmFromKatib("tpe", {{"n_startup_trials", "five"}});
  EXPECT_EQ(bad.status().field(), "algorithm.algorithmSettings[0]");
  bad = AlgorithmFromKatib("bayesianoptimization", {{"base_estimator", "RF"}});
  EXPECT_EQ(bad.status().field(), "algorithm.algorithmSettings[0]");
  bad = AlgorithmFromKatib("cmaes", {{"restart_strategy", "ipop"}});
  EXPECT_EQ(bad.status().field(), "algorithm.algorithmSettings[0]");
}

TEST(KatibEarlyStopping, MedianStop) {
  auto p =
      EarlyStoppingFromKatib("medianstop", {{"min_trials_required", "5"}, {"start_step", "2"}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, PrunerKind::kMeanOfFirst);
  EXPECT_EQ(p->n_startup_trials, 5);
  EXPECT_EQ(p->n_warmup_steps, 2);
  EXPECT_EQ(EarlyStoppingFromKatib("stop-early", {}).status().field(),
            "earlyStopping.algorithmName");
  EXPECT_EQ(EarlyStoppingFromKatib("medianstop", {{"x", "1"}}).status().field(),
            "earlyStopping.algorithmSettings[0]");
}

TEST(KatibSearchSpace, TranslatesParameterTypes) {
  std::vector<KatibParameter> ps = {
      {.name = "lr",
       .parameter_type = "double",
       .min = "0.0001",
       .max = "0.1",
       .distribution = "logUniform"},
      {.name = "layers", .parameter_type = "int", .min = "1", .max = "5"},
      {.name = "opt", .parameter_type = "categorical", .list = {"sgd", "adam"}},
      {.name = "batch", .parameter_type = "discrete", .list = {"16", "32", "64"}},
      {.name = "drop", .parameter_type = "double", .min = "0", .max = "0.5", .step = "0.1"}};
  auto s = SearchSpaceFromKatib(ps);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->param(0).log);
  EXPECT_EQ(s->param(1).kind, ParamKind::kInt);
  EXPECT_EQ(s->Cardinality(3), 3u);
  EXPECT_EQ(s->Cardinality(4), 6u);
  ps[1].max = "x";
  EXPECT_EQ(SearchSpaceFromKatib(ps).status().field(), "parameters[1].feasibleSpace.max");
  ps[1].max = "0";
  EXPECT_EQ(SearchSpaceFromKatib(ps).status().field(), "parameters[1].feasibleSpace.max");
  ps[1].max = "5";
  ps[2].parameter_type = "string";
  EXPECT_EQ(SearchSpaceFromKatib(ps).status().field(), "parameters[2].parameterType");
}

}  // namespace
}  // namespace corral::tune
