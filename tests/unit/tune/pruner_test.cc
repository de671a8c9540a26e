#include <gtest/gtest.h>

#include <cmath>

#include "tune/median_pruner.h"
#include "tune/pruner.h"
#include "tune/successive_halving_pruner.h"

namespace corral::tune {
namespace {

Trial Curve(int64_t number, TrialState state, std::vector<double> values, int64_t first_step = 0) {
  Trial t;
  t.number = number;
  t.state = state;
  for (size_t i = 0; i < values.size(); ++i)
    t.intermediate.emplace_back(first_step + static_cast<int64_t>(i), values[i]);
  if (state == TrialState::kComplete) t.value = values.back();
  return t;
}

PrunerConfig Median(int startup, int64_t warmup = 0) {
  PrunerConfig c;
  c.kind = PrunerKind::kMedian;
  c.n_startup_trials = startup;
  c.n_warmup_steps = warmup;
  return c;
}

TEST(MedianPruner, UsesTheTrueMedianOfCompletedTrialsAtTheStep) {
  std::vector<Trial> trials;
  // Completed curves with values 1, 2, 3, 4 at step 2: the median is 2.5 (not 2 or 3).
  for (int i = 0; i < 4; ++i) trials.push_back(Curve(i, TrialState::kComplete, {9, 9, 1.0 + i, 0}));
  // A pending trial with a great value at step 2 must not count.
  trials.push_back(Curve(4, TrialState::kPending, {0, 0, 0}));
  MedianPruner pruner(Median(4));
  Trial worse = Curve(5, TrialState::kPending, {5, 4, 2.6});
  Trial better = Curve(5, TrialState::kPending, {5, 4, 2.4});
  trials.push_back(worse);
  EXPECT_TRUE(pruner.ShouldPrune(worse, 2, trials, Direction::kMinimize));
  EXPECT_FALSE(pruner.ShouldPrune(better, 2, trials, Direction::kMinimize));
  // Best so far counts: a trial that was at 2.0 at step 1 stays.
  Trial recovered = Curve(5, TrialState::kPending, {5, 2.0, 2.6});
  EXPECT_FALSE(pruner.ShouldPrune(recovered, 2, trials, Direction::kMinimize));
  // Maximizing flips the comparison (and best-so-far is the largest value).
  EXPECT_FALSE(pruner.ShouldPrune(Curve(5, TrialState::kPending, {1, 2, 2.6}), 2, trials,
                                  Direction::kMaximize));
  EXPECT_TRUE(pruner.ShouldPrune(Curve(5, TrialState::kPending, {1, 2, 2.4}), 2, trials,
                                 Direction::kMaximize));
}

TEST(MedianPruner, WaitsForStartupTrialsAndWarmup) {
  std::vector<Trial> trials;
  for (int i = 0; i < 4; ++i) trials.push_back(Curve(i, TrialState::kComplete, {1, 1, 1, 1}));
  Trial bad = Curve(9, TrialState::kPending, {5, 5, 5});
  EXPECT_FALSE(MedianPruner(Median(5)).ShouldPrune(bad, 2, trials, Direction::kMinimize));
  EXPECT_TRUE(MedianPruner(Median(4)).ShouldPrune(bad, 2, trials, Direction::kMinimize));
  EXPECT_FALSE(MedianPruner(Median(4, 3)).ShouldPrune(bad, 2, trials, Direction::kMinimize));
}

TEST(MeanOfFirstPruner, ComparesWithRunningAverages) {
  std::vector<Trial> trials;
  // Running averages up to step 2: (10+1+1)/3 = 4, (2+2+2)/3 = 2, (3+3+3)/3 = 3 -> median 3.
  trials.push_back(Curve(0, TrialState::kComplete, {10, 1, 1, 1}));
  trials.push_back(Curve(1, TrialState::kComplete, {2, 2, 2, 2}));
  trials.push_back(Curve(2, TrialState::kComplete, {3, 3, 3, 3}));
  PrunerConfig c = Median(3);
  c.kind = PrunerKind::kMeanOfFirst;
  MeanOfFirstPruner pruner(c);
  EXPECT_TRUE(pruner.ShouldPrune(Curve(3, TrialState::kPending, {9, 9, 3.1}), 2, trials,
                                 Direction::kMinimize));
  EXPECT_FALSE(pruner.ShouldPrune(Curve(3, TrialState::kPending, {9, 9, 2.9}), 2, trials,
                                  Direction::kMinimize));
}

PrunerConfig Asha() {
  PrunerConfig c;
  c.kind = PrunerKind::kAsha;
  c.min_resource = 1;
  c.max_resource = 27;
  c.reduction_factor = 3;
  return c;
}

TEST(AshaPruner, KeepsTheTopThirdAtEachRung) {
  std::vector<Trial> trials;
  // Six trials have reached rung 1 (step 1) with values 1..6.
  for (int i = 0; i < 6; ++i) trials.push_back(Curve(i, TrialState::kPruned, {9, 1.0 + i}));
  SuccessiveHalvingPruner pruner(Asha());
  // With itself, seven compete; the top 7/3 = 2 go on: values <= 2 (second best).
  Trial mid = Curve(10, TrialState::kPending, {9, 2.5});
  Trial good = Curve(10, TrialState::kPending, {9, 1.5});
  EXPECT_TRUE(pruner.ShouldPrune(mid, 1, trials, Direction::kMinimize));
  EXPECT_FALSE(pruner.ShouldPrune(good, 1, trials, Direction::kMinimize));
  // Step 2 is no rung: nothing is decided there.
  Trial later = Curve(10, TrialState::kPending, {9, 1.5, 100});
  EXPECT_FALSE(pruner.ShouldPrune(later, 2, trials, Direction::kMinimize));
  // Step 3 is rung 1 (3 = 1 * 3^1): alone there, the trial goes on only as the best so far.
  Trial at3 = Curve(10, TrialState::kPending, {9, 1.5, 100, 7});
  EXPECT_FALSE(pruner.ShouldPrune(at3, 3, trials, Direction::kMinimize));
}

TEST(AshaPruner, FirstArrivalGoesOnAndFullBudgetIsNeverPruned) {
  SuccessiveHalvingPruner pruner(Asha());
  Trial first = Curve(0, TrialState::kPending, {9, 5});
  EXPECT_FALSE(pruner.ShouldPrune(first, 1, {first}, Direction::kMinimize));
  std::vector<Trial> trials;
  for (int i = 0; i < 9; ++i)
    trials.push_back(Curve(i, TrialState::kComplete, std::vector<double>(28, 0.1)));
  std::vector<double> bad(27, 0.05);  // good until the last step
  bad.push_back(99);
  Trial last = Curve(20, TrialState::kPending, bad);
  EXPECT_FALSE(pruner.ShouldPrune(last, 27, trials, Direction::kMinimize));
}

TEST(AshaPruner, NanIsPruned) {
  SuccessiveHalvingPruner pruner(Asha());
  Trial t = Curve(0, TrialState::kPending, {9, std::nan("")});
  EXPECT_TRUE(pruner.ShouldPrune(t, 1, {t}, Direction::kMinimize));
}

TEST(HyperbandPruner, BracketsFollowTheHyperbandAllocation) {
  PrunerConfig c = Asha();
  c.kind = PrunerKind::kHyperband;
  HyperbandPruner hb(c);
  ASSERT_EQ(hb.n_brackets(), 4);
  int counts[4] = {0, 0, 0, 0};
  for (int64_t n = 0; n < 20000; ++n) counts[hb.BracketOf(n)]++;
  // Weights 27/4, 9/3, 3/2, 1/1 -> 0.551, 0.245, 0.122, 0.082.
  EXPECT_NEAR(counts[0] / 20000.0, 0.551, 0.02);
  EXPECT_NEAR(counts[1] / 20000.0, 0.245, 0.02);
  EXPECT_NEAR(counts[2] / 20000.0, 0.122, 0.015);
  EXPECT_NEAR(counts[3] / 20000.0, 0.082, 0.015);
}

TEST(HyperbandPruner, TrialsCompeteOnlyWithinTheirBracket) {
  PrunerConfig c = Asha();
  c.kind = PrunerKind::kHyperband;
  HyperbandPruner hb(c);
  // Find trial numbers in brackets 0 and 3.
  std::vector<int64_t> b0, b3;
  for (int64_t n = 0; b0.size() < 8 || b3.empty(); ++n) {
    if (hb.BracketOf(n) == 0) b0.push_back(n);
    if (hb.BracketOf(n) == 3) b3.push_back(n);
  }
  std::vector<Trial> trials;
  for (size_t i = 0; i + 1 < b0.size(); ++i)
    trials.push_back(Curve(b0[i], TrialState::kPruned, {9, 1.0}));
  // Bracket 3 starts at rung 27 = max: its trials always run to the end.
  Trial slow = Curve(b3[0], TrialState::kPending, {9, 50});
  EXPECT_FALSE(hb.ShouldPrune(slow, 1, trials, Direction::kMinimize));
  Trial fast = Curve(b0.back(), TrialState::kPending, {9, 50});
  EXPECT_TRUE(hb.ShouldPrune(fast, 1, trials, Direction::kMinimize));
}

}  // namespace
}  // namespace corral::tune
