// Placement that lets nodes drain whole for large gangs: drain-aware node choice, the drain guard
// and reservations planned side by side.
#include <gtest/gtest.h>

#include <algorithm>

#include "sched/corral_scheduler.h"
#include "sched/placement.h"
#include "sched/reservation.h"
#include "unit/sched/test_util.h"

namespace corral::sched {
namespace {

using namespace testing;

TEST(PlacementTest, PrefersTheNodeWhoseDrainItDelaysLeastThenBestFit) {
  // Free: 4, 6, 2. Node 1 would not be delayed at all; node 2 is the best fit.
  std::vector<NodeRoom> rooms = {{2, 4, 5 * 3600.0}, {3, 6, 0.0}, {1, 2, 3600.0}};
  auto room = [&](int n) { return rooms[n]; };
  auto shares = ChooseNodes(3, 1, 2, room);
  ASSERT_TRUE(shares);
  EXPECT_EQ((*shares)[0].node, 1);
  // With equal delays best fit decides again.
  rooms[1].delays_drain_s = 3600.0;
  shares = ChooseNodes(3, 1, 2, room);
  ASSERT_TRUE(shares);
  EXPECT_EQ((*shares)[0].node, 2);
}

TEST(PlacementTest, AmongNodesItDoesNotDelayPrefersTheTightestInTimeThenBestFit) {
  // Free: 2, 4, 2; none delayed. Node 1 drains 1 h after the job ends, the others 5 h and 9 h.
  std::vector<NodeRoom> rooms = {
      {1, 2, 0.0, 5 * 3600.0}, {2, 4, 0.0, 3600.0}, {1, 2, 0.0, 9 * 3600.0}};
  auto room = [&](int n) { return rooms[n]; };
  auto shares = ChooseNodes(3, 1, 2, room);
  ASSERT_TRUE(shares);
  EXPECT_EQ((*shares)[0].node, 1);
  // Equally tight: best fit decides.
  rooms[1].drain_slack_s = 5 * 3600.0;
  shares = ChooseNodes(3, 1, 2, room);
  ASSERT_TRUE(shares);
  EXPECT_EQ((*shares)[0].node, 0);
  // A delay still counts first, however tight the rest.
  rooms[0].delays_drain_s = 60.0;
  rooms[1].delays_drain_s = 60.0;
  shares = ChooseNodes(3, 1, 2, room);
  ASSERT_TRUE(shares);
  EXPECT_EQ((*shares)[0].node, 2);
}

TEST(ReservationTest, LaterReservationsArePlannedOnNodesTheEarlierOnesDoNotHold) {
  // Three full nodes emptying after 1, 2 and 3 hours.
  std::vector<int> usable = {0, 0, 0};
  std::vector<Release> releases = {
      {T0() + hours(1), 0, 8}, {T0() + hours(2), 1, 8}, {T0() + hours(3), 2, 8}};
  auto first = EarliestStart(T0(), usable, releases, {}, 1, 8);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->start, T0() + hours(1));
  EXPECT_EQ(first->shares[0].node, 0);
  std::vector<int> held = {8, 0, 0};
  auto second = EarliestStart(T0(), usable, releases, held, 1, 8);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->start, T0() + hours(2));
  EXPECT_EQ(second->shares[0].node, 1);
  // Held GPUs still count as spare: a job bound only by the second reservation ends before the
  // first one needs node 0.
  EXPECT_EQ(second->spare[0], 8);
  EXPECT_EQ(second->spare[1], 0);
}

TEST(CorralSchedulerTest, PlacesAJobWhereItDoesNotDelayTheNodesDrain) {
  for (bool align : {true, false}) {
    SchedulerOptions o;
    o.align_drain = align;
    CorralScheduler s(o);
    s.SetNodes(Nodes(2, 4));
    // Node 0 is free again in 1 h, node 1 in 10 h; one GPU free on each.
    ASSERT_TRUE(s.OnRestore(Job(1, 3, hours(1)), {{0, {0, 1, 2}}}, T0()).ok());
    ASSERT_TRUE(s.OnRestore(Job(2, 3, hours(10)), {{1, {0, 1, 2}}}, T0()).ok());
    ASSERT_TRUE(s.OnSubmit(Job(3, 1, hours(8))).ok());
    DecisionBatch b = s.Schedule(T0());
    const StartDecision* st = FindStart(b, 3);
    ASSERT_NE(st, nullptr);
    // Equally good fits; only the drain tells them apart (else the lower index wins).
    EXPECT_EQ(st->placement[0].node, align ? 1 : 0) << "align_drain=" << align;
  }
}

TEST(CorralSchedulerTest, AShortJobGoesWhereTheNodeDrainsSoonestAfterIt) {
  CorralScheduler s{SchedulerOptions{}};
  s.SetNodes(Nodes(2, 4));
  // Node 0 is free again in 10 h with one GPU free (the best fit); node 1 in 2 h with two free.
  ASSERT_TRUE(s.OnRestore(Job(1, 3, hours(10)), {{0, {0, 1, 2}}}, T0()).ok());
  ASSERT_TRUE(s.OnRestore(Job(2, 2, hours(2)), {{1, {0, 1}}}, T0()).ok());
  // A 1-hour job delays neither; it takes node 1, which drains 1 h after it rather than 9 h,
  // and node 0 keeps its GPU for a job that runs as long as what is already there.
  ASSERT_TRUE(s.OnSubmit(Job(3, 1, hours(1))).ok());
  DecisionBatch b = s.Schedule(T0());
  const StartDecision* st = FindStart(b, 3);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->placement[0].node, 1);
}

TEST(CorralSchedulerTest, KeepsLongJobsOffANodeDrainingForALargeGang) {
  for (bool guard : {true, false}) {
    SchedulerOptions o;
    if (!guard) o.drain_guard_extension = Duration(0);
    CorralScheduler s(o);
    s.SetNodes(Nodes(2, 8));
    // Node 0 drains in 1 h (2 GPUs free now); node 1 is busy for 20 h.
    ASSERT_TRUE(s.OnRestore(Job(1, 6, hours(1)), {{0, {0, 1, 2, 3, 4, 5}}}, T0()).ok());
    ASSERT_TRUE(s.OnRestore(Job(2, 8, hours(20)), {{1, {0, 1, 2, 3, 4, 5, 6, 7}}}, T0()).ok());
    // A large gang waits; a 10 h and a 30 min job come first in the order (less GPU-time).
    ASSERT_TRUE(s.OnSubmit(Job(10, 8, hours(2))).ok());
    ASSERT_TRUE(s.OnSubmit(Job(11, 1, hours(10))).ok());
    ASSERT_TRUE(s.OnSubmit(Job(12, 1, minutes(30))).ok());
    DecisionBatch b = s.Schedule(T0());
    EXPECT_NE(FindStart(b, 12), nullptr) << "ends before the node drains";
    if (!guard) {
      EXPECT_NE(FindStart(b, 11), nullptr);
      continue;
    }
    EXPECT_EQ(FindStart(b, 11), nullptr) << "would hold the node 9 h past its drain";
    EXPECT_NE(s.PendingReason(JobId(11)).find("about to be free for a job of 8"), std::string::npos)
        << s.PendingReason(JobId(11));
    // The node drains and the gang takes it whole; the long job is not in its way.
    s.OnFinished(JobId(12), T0() + minutes(30));
    s.OnFinished(JobId(1), T0() + hours(1));
    DecisionBatch later = s.Schedule(T0() + hours(1));
    const StartDecision* gang = FindStart(later, 10);
    ASSERT_NE(gang, nullptr);
    EXPECT_EQ(gang->placement[0].node, 0);
  }
}

TEST(CorralSchedulerTest, StarvingLargeGangsDrainNodesSideBySide) {
  SchedulerOptions o;
  o.max_reservations = 2;
  o.large_job_starvation_age = hours(1);
  o.fifo_deadline_factor = 0;  // the age policy
  o.drain_guard_extension = Duration(0);
  CorralScheduler s(o);
  s.SetNodes(Nodes(3, 8));
  // Each node holds 1-GPU jobs; nodes 0 and 1 empty after 2 and 3 hours, node 2 after 9.
  int64_t id = 1;
  const Duration ends[] = {hours(2), hours(3), hours(9)};
  for (int n = 0; n < 3; ++n)
    for (int g = 0; g < 8; ++g)
      ASSERT_TRUE(s.OnRestore(Job(id++, 1, ends[n]), {{n, {g}}}, T0()).ok());
  JobRequest a = Job(100, 8, hours(5));
  JobRequest b = Job(101, 8, hours(5));
  b.submitted = T0() + minutes(1);
  ASSERT_TRUE(s.OnSubmit(a).ok());
  ASSERT_TRUE(s.OnSubmit(b).ok());
  const TimePoint now = T0() + hours(1) + minutes(5);  // both starving
  s.Schedule(now);
  EXPECT_NE(s.PendingReason(JobId(100)).find("reserved for"), std::string::npos);
  EXPECT_NE(s.PendingReason(JobId(101)).find("reserved for"), std::string::npos)
      << "planned on node 1 beside the older gang, not after it";
  // A 4 h job that fits now would hold up both; a 30 min one holds up neither.
  s.OnFinished(JobId(1), now);  // one GPU free on node 0
  ASSERT_TRUE(s.OnSubmit(Job(200, 1, hours(4))).ok());
  DecisionBatch d = s.Schedule(now);
  EXPECT_EQ(FindStart(d, 200), nullptr);
  ASSERT_TRUE(s.OnSubmit(Job(201, 1, minutes(30))).ok());
  d = s.Schedule(now);
  EXPECT_NE(FindStart(d, 201), nullptr);
}

JobRequest Filler(int64_t id, Duration limit) {
  JobRequest r = Job(id, 1, limit, "automl");
  r.priority = PriorityClass::kOpportunistic;
  return r;
}

std::vector<JobId> VictimsFor(const DecisionBatch& b, int64_t id) {
  std::vector<JobId> v;
  for (const auto& p : b.preemptions)
    if (p.for_job == JobId(id)) v.push_back(p.job);
  std::sort(v.begin(), v.end());
  return v;
}

TEST(CorralSchedulerTest, OpportunisticWorkOnADrainingNodeYieldsToTheLargeGangOnly) {
  CorralScheduler s(SchedulerOptions{});
  s.SetNodes(Nodes(2, 8));
  // Node 0: a 6-GPU job ending in 1 h and two opportunistic trials of 5 h on its idle GPUs.
  // Node 1: busy for 20 h.
  ASSERT_TRUE(s.OnRestore(Job(1, 6, hours(1)), {{0, {0, 1, 2, 3, 4, 5}}}, T0()).ok());
  ASSERT_TRUE(s.OnRestore(Filler(50, hours(5)), {{0, {6}}}, T0()).ok());
  ASSERT_TRUE(s.OnRestore(Filler(51, hours(5)), {{0, {7}}}, T0()).ok());
  ASSERT_TRUE(s.OnRestore(Job(2, 8, hours(20)), {{1, {0, 1, 2, 3, 4, 5, 6, 7}}}, T0()).ok());
  ASSERT_TRUE(s.OnSubmit(Job(10, 8, hours(2))).ok());
  ASSERT_TRUE(s.OnSubmit(Job(11, 1, hours(10))).ok());
  // The trials do not count towards node 0's drain (1 h, so it is kept for the gang), and the
  // 10 h job may not take the node by preempting them either.
  DecisionBatch b = s.Schedule(T0());
  EXPECT_EQ(FindStart(b, 11), nullptr);
  EXPECT_TRUE(VictimsFor(b, 11).empty());
  EXPECT_NE(s.PendingReason(JobId(11)).find("about to be free for a job of 8"), std::string::npos)
      << s.PendingReason(JobId(11));
  // Once the node's own work ends, the gang preempts the trials rather than waiting 5 h.
  s.OnFinished(JobId(1), T0() + hours(1));
  b = s.Schedule(T0() + hours(1));
  EXPECT_EQ(VictimsFor(b, 10), (std::vector<JobId>{JobId(50), JobId(51)}));
  s.OnRequeue(JobId(50), T0() + hours(1) + seconds(30));
  s.OnRequeue(JobId(51), T0() + hours(1) + seconds(30));
  b = s.Schedule(T0() + hours(1) + seconds(30));
  const StartDecision* gang = FindStart(b, 10);
  ASSERT_NE(gang, nullptr);
  EXPECT_EQ(gang->placement[0].node, 0);
}

TEST(CorralSchedulerTest, LargeGangsLookForOpportunisticVictimsPastThePassBudget) {
  SchedulerOptions o;
  o.max_preemption_attempts_per_pass = 1;
  CorralScheduler s(o);
  s.SetNodes(Nodes(3, 8));
  // Nodes 0 and 2 are full of opportunistic trials, node 1 of a 20 h job.
  int64_t id = 50;
  for (int n : {0, 2})
    for (int g = 0; g < 8; ++g)
      ASSERT_TRUE(s.OnRestore(Filler(id++, hours(1)), {{n, {g}}}, T0()).ok());
  ASSERT_TRUE(s.OnRestore(Job(1, 8, hours(20)), {{1, {0, 1, 2, 3, 4, 5, 6, 7}}}, T0()).ok());
  // Two short 1-GPU jobs come first in the order; the first spends the budget.
  ASSERT_TRUE(s.OnSubmit(Job(11, 1, minutes(10))).ok());
  ASSERT_TRUE(s.OnSubmit(Job(12, 1, minutes(20))).ok());
  ASSERT_TRUE(s.OnSubmit(Job(10, 8, hours(2))).ok());
  DecisionBatch b = s.Schedule(T0());
  EXPECT_EQ(VictimsFor(b, 11).size(), 1u);
  EXPECT_TRUE(VictimsFor(b, 12).empty());
  // Job 12 is due now by preemption alone, so it does not take the reservation either.
  EXPECT_EQ(s.PendingReason(JobId(12)).find("reserved for"), std::string::npos)
      << s.PendingReason(JobId(12));
  const auto gang = VictimsFor(b, 10);
  ASSERT_EQ(gang.size(), 8u);
  for (JobId v : gang) EXPECT_TRUE(v != JobId(1));
}

}  // namespace
}  // namespace corral::sched
