#include "tune/study.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "unit/tune/test_spaces.h"

namespace corral::tune {
namespace {

using testing::BoxSpace;
using testing::MakeStudy;
using testing::MixedSpace;
using testing::MultivariateTpe;
using testing::Sampler;

double Objective(const SearchSpace& space, const Assignment& a) {
  // Depends on every active parameter so model-based samplers have something to learn.
  double v = 0;
  for (size_t i = 0; i < space.size(); ++i)
    if (!std::isnan(a[i])) v += std::pow(space.ToUnit(i, a[i]) - 0.3, 2);
  return v;
}

// Runs `trials` trials in batches of `batch`, telling each result at once.
void Drive(Study& study, int trials, int batch) {
  for (int done = 0; done < trials; done += batch) {
    auto asked = study.Ask(batch);
    ASSERT_TRUE(asked.ok()) << asked.status().ToString();
    for (const Trial& t : *asked)
      ASSERT_TRUE(study.Tell(t.number, Objective(study.space(), t.params)).ok());
  }
}

std::vector<SamplerConfig> AllSamplers() {
  SamplerConfig gp = Sampler(SamplerKind::kGp);
  gp.gp.n_candidates = 200;
  return {Sampler(SamplerKind::kRandom), Sampler(SamplerKind::kSobol),
          Sampler(SamplerKind::kTpe),    MultivariateTpe(),
          Sampler(SamplerKind::kCmaEs),  gp};
}

class EverySampler : public ::testing::TestWithParam<SamplerConfig> {};

TEST_P(EverySampler, SameSeedGivesSameSuggestions) {
  const SearchSpace space = MixedSpace();
  Study a = MakeStudy(space, GetParam(), 11), b = MakeStudy(space, GetParam(), 11),
        c = MakeStudy(space, GetParam(), 12);
  Drive(a, 30, 1);
  Drive(b, 30, 1);
  Drive(c, 30, 1);
  int differ = 0;
  for (size_t i = 0; i < a.trials().size(); ++i) {
    for (size_t d = 0; d < space.size(); ++d) {
      const double x = a.trials()[i].params[d], y = b.trials()[i].params[d];
      EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y)));
    }
    differ += a.trials()[i].params[0] != c.trials()[i].params[0];
  }
  EXPECT_GT(differ, 20);
}

TEST_P(EverySampler, RestoredStateGivesIdenticalNextSuggestions) {
  const SearchSpace space = MixedSpace();
  Study original = MakeStudy(space, GetParam(), 5);
  Drive(original, 23, 1);
  // Leave trials pending across the save (a server restart with trials still running).
  auto pending = original.Ask(2);
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE(original.Report((*pending)[0].number, 1, 0.5).ok());
  const std::string state = original.SaveState();
  auto restored = Study::LoadState(state);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->SaveState(), state);
  for (Study* s : {&original, &restored.value()}) {
    for (const Trial& t : *pending) ASSERT_TRUE(s->Tell(t.number, Objective(space, t.params)).ok());
    Drive(*s, 12, 3);
  }
  ASSERT_EQ(original.trials().size(), restored->trials().size());
  for (size_t i = 0; i < original.trials().size(); ++i)
    for (size_t d = 0; d < space.size(); ++d) {
      const double x = original.trials()[i].params[d], y = restored->trials()[i].params[d];
      EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y))) << "trial " << i << " param " << d;
    }
  EXPECT_EQ(original.SaveState(), restored->SaveState());
}

// The split form, kept the way a server keeps it: after each step only the head and the records of
// the trials that changed are written. Loading those parts must give back the same study.
TEST_P(EverySampler, PartsWrittenOnlyForChangedTrialsRestoreTheStudy) {
  const SearchSpace space = MixedSpace();
  Study original = MakeStudy(space, GetParam(), 9);
  std::vector<std::string> records;
  std::string head;
  size_t writes = 0;
  auto save = [&] {
    for (int64_t n : original.TakeChanged()) {
      if (records.size() <= static_cast<size_t>(n)) records.resize(static_cast<size_t>(n) + 1);
      records[static_cast<size_t>(n)] = original.SaveTrial(n);
      ++writes;
    }
    head = original.SaveHead();
  };
  for (int step = 0; step < 15; ++step) {
    auto asked = original.Ask(2);
    ASSERT_TRUE(asked.ok());
    save();
    ASSERT_TRUE(original.Report((*asked)[0].number, 1, 0.7).ok());
    for (const Trial& t : *asked)
      ASSERT_TRUE(original.Tell(t.number, Objective(space, t.params)).ok());
    save();
  }
  auto pending = original.Ask(1);
  ASSERT_TRUE(pending.ok());
  save();
  // Each trial was written when asked and again when its results came: not the whole history
  // at every step.
  EXPECT_EQ(writes, 2 * 30 + 1u);
  EXPECT_TRUE(original.TakeChanged().empty());

  auto restored = Study::LoadParts(head, records);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->SaveState(), original.SaveState());
  for (Study* s : {&original, &restored.value()}) {
    ASSERT_TRUE(s->Tell((*pending)[0].number, 0.25).ok());
    Drive(*s, 6, 2);
  }
  EXPECT_EQ(restored->SaveState(), original.SaveState());

  records.pop_back();
  EXPECT_EQ(Study::LoadParts(head, records).status().field(), "state.trial_count");
}

TEST_P(EverySampler, BatchesHaveNoDuplicatesAndStayInTheSpace) {
  const SearchSpace space = MixedSpace();
  Study study = MakeStudy(space, GetParam(), 9);
  Drive(study, 15, 1);
  for (int round = 0; round < 5; ++round) {
    auto batch = study.Ask(4);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), 4u);
    for (size_t i = 0; i < batch->size(); ++i) {
      EXPECT_TRUE(space.Validate((*batch)[i].params).ok())
          << space.Validate((*batch)[i].params).ToString();
      for (size_t j = 0; j < i; ++j) EXPECT_NE((*batch)[i].params, (*batch)[j].params);
    }
    for (const Trial& t : *batch)
      ASSERT_TRUE(study.Tell(t.number, Objective(space, t.params)).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Tune, EverySampler, ::testing::ValuesIn(AllSamplers()),
                         [](const auto& info) {
                           std::string n = SamplerKindName(info.param.kind);
                           if (info.param.kind == SamplerKind::kTpe && info.param.tpe.multivariate)
                             n += "_mv";
                           return n;
                         });

TEST(Study, NoDuplicatesInABatchOfASmallDiscreteSpace) {
  std::vector<ParamSpec> p = {
      {.name = "a", .kind = ParamKind::kInt, .low = 0, .high = 2},
      {.name = "b", .kind = ParamKind::kCategorical, .choices = {"x", "y"}}};
  const SearchSpace space = *SearchSpace::Create(p);
  Study study = MakeStudy(space, Sampler(SamplerKind::kTpe), 1);
  Drive(study, 12, 1);
  auto batch = study.Ask(6);  // exactly the number of configurations
  ASSERT_TRUE(batch.ok());
  std::set<Assignment> seen;
  for (const Trial& t : *batch) seen.insert(t.params);
  EXPECT_EQ(seen.size(), 6u);
}

TEST(Study, GridVisitsEveryPointOnceThenIsExhausted) {
  std::vector<ParamSpec> p = {
      {.name = "a", .kind = ParamKind::kInt, .low = 1, .high = 3},
      {.name = "b", .low = 0, .high = 1, .step = 0.5},
      {.name = "c", .kind = ParamKind::kCategorical, .choices = {"x", "y"}}};
  const SearchSpace space = *SearchSpace::Create(p);
  Study study = MakeStudy(space, Sampler(SamplerKind::kGrid), 0);
  auto first = study.Ask(10);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 10u);
  EXPECT_FALSE(study.exhausted());
  auto rest = study.Ask(10);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 8u);  // 3 * 3 * 2 = 18 points
  EXPECT_TRUE(study.exhausted());
  std::set<Assignment> seen;
  for (const Trial& t : study.trials()) seen.insert(t.params);
  EXPECT_EQ(seen.size(), 18u);
  auto none = study.Ask(1);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(Study, GridNeedsStepsForFloats) {
  StudyConfig c;
  c.space = BoxSpace(2);
  c.sampler = Sampler(SamplerKind::kGrid);
  auto s = Study::Create(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().field(), "params[0].step");
}

TEST(Study, TellRules) {
  Study study = MakeStudy(BoxSpace(2), Sampler(SamplerKind::kRandom), 0);
  auto t = study.Ask(3);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(study.Tell(0, 1.0).ok());
  EXPECT_EQ(study.Tell(0, 2.0).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(study.Tell(17, 2.0).code(), StatusCode::kNotFound);
  EXPECT_TRUE(study.Tell(1, std::nan("")).ok());
  EXPECT_EQ(study.trials()[1].state, TrialState::kFailed);  // NaN fails the trial, never dropped
  EXPECT_EQ(study.Report(0, 1, 0.5).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(study.TellPruned(2).ok());
  ASSERT_NE(study.Best(), nullptr);
  EXPECT_EQ(study.Best()->number, 0);
}

TEST(Study, MaximizeFindsLargeValues) {
  StudyConfig c;
  c.space = BoxSpace(2);
  c.direction = Direction::kMaximize;
  auto study = Study::Create(c);
  ASSERT_TRUE(study.ok());
  for (int i = 0; i < 60; ++i) {
    auto t = study->Ask(1);
    const auto& x = (*t)[0].params;
    ASSERT_TRUE(
        study->Tell((*t)[0].number, -(std::pow(x[0] - 0.8, 2) + std::pow(x[1] - 0.2, 2))).ok());
  }
  EXPECT_GT(*study->Best()->value, -0.01);
}

TEST(Study, EnqueueValidatesAndParamsJsonRoundTrips) {
  Study study = MakeStudy(MixedSpace(), Sampler(SamplerKind::kTpe), 0);
  auto a = study.ParamsFromJson(nlohmann::json::parse(
      R"({"x":1.5,"lr":0.001,"layers":3,"units":64,"dropout":0.1,"opt":"sgd","momentum_steps":10})"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto t = study.Enqueue(*a);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(study.ParamsToJson(*t)["opt"], "sgd");
  EXPECT_EQ(study.ParamsToJson(*t)["momentum_steps"], 10);
  auto bad = study.ParamsFromJson(nlohmann::json::parse(R"({"x":1.5,"nope":1})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "params.nope");
}

TEST(Study, LoadStateRejectsGarbage) {
  EXPECT_EQ(Study::LoadState("not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Study::LoadState(R"({"version":2})").status().field(), "state.version");
}

TEST(StudyConfig, InvalidConfigsNameTheField) {
  const nlohmann::json space = MixedSpace().ToJson();
  auto field_of = [&](const std::string& extra) {
    nlohmann::json j = nlohmann::json::parse(extra);
    j["space"] = space;
    auto c = StudyConfigFromJson(j);
    EXPECT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    return c.status().field();
  };
  EXPECT_EQ(field_of(R"({"sampler":{"name":"annealing"}})"), "sampler.name");
  EXPECT_EQ(field_of(R"({"sampler":{"name":"tpe","n_ei":3}})"), "sampler.n_ei");
  EXPECT_EQ(field_of(R"({"sampler":{"name":"tpe","n_ei_candidates":0}})"),
            "sampler.n_ei_candidates");
  EXPECT_EQ(field_of(R"({"sampler":{"name":"tpe","multivariate":"yes"}})"), "sampler.multivariate");
  EXPECT_EQ(field_of(R"({"pruner":{"name":"asha","reduction_factor":1}})"),
            "pruner.reduction_factor");
  EXPECT_EQ(field_of(R"({"pruner":{"name":"asha","min_resource":9,"max_resource":3}})"),
            "pruner.max_resource");
  EXPECT_EQ(field_of(R"({"pruner":{"name":"stop"}})"), "pruner.name");
  EXPECT_EQ(field_of(R"({"direction":"up"})"), "direction");
  EXPECT_EQ(field_of(R"({"seed":"1"})"), "seed");
  EXPECT_EQ(field_of(R"({"colour":"1"})"), "colour");
}

}  // namespace
}  // namespace corral::tune
