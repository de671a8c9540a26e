#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "store/experiment_codec.h"
#include "unit/store/store_fixture.h"

namespace corral::store {
namespace {

using testing::StoreTest;

Experiment MakeExperiment(int64_t owner, const std::string& name) {
  Experiment e;
  e.owner = UserId(owner);
  e.name = name;
  e.spec = R"({"objective": "maximize accuracy", "max_trials": 100})";
  e.state = "running";
  e.sampler_state = "tpe:seed=7;rng=0123456789abcdef";
  e.created_at = FromMillis(1'700'000'000'000);
  return e;
}

TEST_F(StoreTest, ExperimentRoundTripsAndUpdates) {
  Experiment e = MakeExperiment(3, "lr-sweep");
  ASSERT_TRUE(store().InsertExperiment(e).ok());
  ASSERT_TRUE(e.id.valid());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto got = store().GetExperiment(e.id);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ(**got, e);

  e.state = "succeeded";
  e.sampler_state = "tpe:seed=7;rng=fedcba";
  e.ended_at = FromMillis(1'700'000'900'000);
  ASSERT_TRUE(store().UpdateExperiment(e).ok());
  got = store().GetExperiment(e.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, e);

  auto missing = store().GetExperiment(ExperimentId(999));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  Experiment ghost = e;
  ghost.id = ExperimentId(999);
  EXPECT_EQ(store().UpdateExperiment(ghost).code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, ExperimentsPageNewestFirstAndFilterByOwner) {
  std::vector<ExperimentId> owner1;
  for (int i = 0; i < 7; ++i) {
    Experiment e = MakeExperiment(1 + i % 2, "e" + std::to_string(i));
    ASSERT_TRUE(store().InsertExperiment(e).ok());
    if (e.owner == UserId(1)) owner1.insert(owner1.begin(), e.id);
  }
  ExperimentQuery q;
  q.owner = UserId(1);
  q.limit = 3;
  std::vector<ExperimentId> seen;
  while (true) {
    auto page = store().ListExperiments(q);
    ASSERT_TRUE(page.ok());
    for (const auto& e : page->experiments) {
      EXPECT_EQ(e.owner, UserId(1));
      seen.push_back(e.id);
    }
    if (page->next_cursor == 0) break;
    q.after_id = page->next_cursor;
  }
  EXPECT_EQ(seen, owner1);

  auto everyone = store().ListExperiments(ExperimentQuery{});
  ASSERT_TRUE(everyone.ok());
  EXPECT_EQ(everyone->experiments.size(), 7u);
  EXPECT_EQ(everyone->next_cursor, 0);
}

TEST_F(StoreTest, LoadActiveExperimentsSkipsEndedOnes) {
  Experiment a = MakeExperiment(1, "a"), b = MakeExperiment(1, "b"), c = MakeExperiment(1, "c");
  ASSERT_TRUE(store().InsertExperiment(a).ok());
  ASSERT_TRUE(store().InsertExperiment(b).ok());
  ASSERT_TRUE(store().InsertExperiment(c).ok());
  b.state = "failed";
  b.ended_at = FromMillis(5);
  ASSERT_TRUE(store().UpdateExperiment(b).ok());
  auto active = store().LoadActiveExperiments();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 2u);
  EXPECT_EQ((*active)[0].id, a.id);
  EXPECT_EQ((*active)[1].id, c.id);
}

TEST_F(StoreTest, TrialsUpsertAndKeepParameterTypes) {
  Experiment e = MakeExperiment(1, "sweep");
  ASSERT_TRUE(store().InsertExperiment(e).ok());
  Trial t0{e.id,
           0,
           JobId(),
           {{"lr", 0.001},
            {"layers", int64_t{3}},
            {"opt", std::string("adam")},
            {"bn", true},
            {"whole", 3.0}},
           "pending",
           std::nullopt};
  Trial t1{e.id, 1, JobId(77), {{"lr", 0.1}}, "running", std::nullopt};
  ASSERT_TRUE(store().UpsertTrial(t1).ok());
  ASSERT_TRUE(store().UpsertTrial(t0).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();

  auto trials = store().ListTrials(e.id);
  ASSERT_TRUE(trials.ok()) << trials.status().ToString();
  ASSERT_EQ(trials->size(), 2u);
  EXPECT_EQ((*trials)[0], t0);
  EXPECT_EQ((*trials)[1], t1);
  // 3.0 stays a double, 3 stays an integer.
  EXPECT_TRUE(std::holds_alternative<double>((*trials)[0].params.at("whole")));
  EXPECT_TRUE(std::holds_alternative<int64_t>((*trials)[0].params.at("layers")));
  EXPECT_TRUE(std::holds_alternative<bool>((*trials)[0].params.at("bn")));

  t0.job = JobId(78);
  t0.state = "succeeded";
  t0.objective = 0.975;
  ASSERT_TRUE(store().UpsertTrial(t0).ok());
  trials = store().ListTrials(e.id);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 2u);
  EXPECT_EQ((*trials)[0], t0);

  auto none = store().ListTrials(ExperimentId(555));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, TrialSearchStateIsKeptBesideTheTrialAndSurvivesUpserts) {
  Experiment e = MakeExperiment(1, "sweep");
  ASSERT_TRUE(store().InsertExperiment(e).ok());
  Trial t0{e.id, 0, JobId(), {{"lr", 0.1}}, "pending", std::nullopt};
  Trial t1{e.id, 1, JobId(), {{"lr", 0.2}}, "pending", std::nullopt};
  ASSERT_TRUE(store().UpsertTrial(t0).ok());
  ASSERT_TRUE(store().UpsertTrial(t1).ok());
  ASSERT_TRUE(store().SetTrialSearchState(e.id, 1, R"({"number":1})").ok());
  EXPECT_EQ(store().SetTrialSearchState(e.id, 2, "{}").code(), StatusCode::kNotFound);
  // Updating the trial's public fields leaves the search's record alone.
  t1.state = "succeeded";
  t1.objective = 0.5;
  ASSERT_TRUE(store().UpsertTrial(t1).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();
  auto records = store().ListTrialSearchStates(e.id);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(*records, (std::vector<std::string>{"", R"({"number":1})"}));
  auto trials = store().ListTrials(e.id);
  ASSERT_TRUE(trials.ok());
  EXPECT_EQ((*trials)[1], t1);
}

TEST_F(StoreTest, TrialOfUnknownExperimentIsNotFound) {
  Trial t{ExperimentId(404), 0, JobId(), {}, "pending", std::nullopt};
  EXPECT_EQ(store().UpsertTrial(t).code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, MetricsAppendAndListBySeries) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<MetricPoint> batch = {
      {JobId(5), "loss", 2, 0.5, FromMillis(20)},
      {JobId(5), "loss", 1, 0.9, FromMillis(10)},
      {JobId(5), "accuracy", 1, 0.6, FromMillis(11)},
      {JobId(6), "loss", 1, 1.5, FromMillis(12)},
      {JobId(5), "loss", 3, nan, FromMillis(30)},
      {JobId(5), "loss", 3, 0.4, FromMillis(31)},  // same step reported twice: both kept
  };
  ASSERT_TRUE(store().AppendMetrics(batch).ok());
  ASSERT_TRUE(store().AppendMetrics(std::span<const MetricPoint>()).ok());
  ASSERT_TRUE(store().Flush().ok());
  Reopen();

  auto loss = store().ListMetrics(JobId(5), std::string("loss"));
  ASSERT_TRUE(loss.ok()) << loss.status().ToString();
  ASSERT_EQ(loss->size(), 4u);
  EXPECT_EQ((*loss)[0], batch[1]);
  EXPECT_EQ((*loss)[1], batch[0]);
  EXPECT_EQ((*loss)[2].step, 3);
  EXPECT_TRUE(std::isnan((*loss)[2].value));
  EXPECT_EQ((*loss)[2].time, FromMillis(30));
  EXPECT_EQ((*loss)[3], batch[5]);

  auto all = store().ListMetrics(JobId(5), std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0], batch[2]);  // "accuracy" sorts before "loss"

  auto other = store().ListMetrics(JobId(6), std::nullopt);
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0], batch[3]);
}

TEST(ExperimentCodecTest, CorruptParametersAreAnInternalError) {
  auto list = DecodeParams("[1, 2]");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInternal);
  auto nested = DecodeParams(R"({"a": {"b": 1}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().code(), StatusCode::kInternal);
}

TEST(ExperimentCodecTest, NonFiniteDoubleReadsBackAsNaN) {
  ParamSet params = {{"x", std::numeric_limits<double>::infinity()}};
  auto decoded = DecodeParams(EncodeParams(params));
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(std::holds_alternative<double>(decoded->at("x")));
  EXPECT_TRUE(std::isnan(std::get<double>(decoded->at("x"))));
}

}  // namespace
}  // namespace corral::store
