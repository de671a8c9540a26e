// GPUs held for a waiting gang (by its reservation or the drain guard) lent to preemptible jobs
// and taken back when the gang can start (SchedulerOptions::lend_held_gpus).
#include <gtest/gtest.h>

#include "sched/corral_scheduler.h"
#include "unit/sched/test_util.h"

namespace corral::sched {
namespace {

using namespace testing;

JobRequest Checkpointing(int64_t id, int gpus, Duration limit) {
  JobRequest r = Job(id, gpus, limit);
  r.preemptible = true;
  return r;
}

// Node 0: a 6-GPU job ending in 1 h. Node 1: busy for 20 h. An 8-GPU gang waits for node 0.
void HoldNodeZeroForAGang(CorralScheduler& s) {
  s.SetNodes(Nodes(2, 8));
  ASSERT_TRUE(s.OnRestore(Job(1, 6, hours(1)), {{0, {0, 1, 2, 3, 4, 5}}}, T0()).ok());
  ASSERT_TRUE(s.OnRestore(Job(2, 8, hours(20)), {{1, {0, 1, 2, 3, 4, 5, 6, 7}}}, T0()).ok());
  ASSERT_TRUE(s.OnSubmit(Job(10, 8, hours(2))).ok());
}

TEST(LoanTest, APreemptibleJobRunsOnGpusHeldForAGangAndYieldsWhenTheGangCanStart) {
  CorralScheduler s{SchedulerOptions{}};
  HoldNodeZeroForAGang(s);
  // Two 10 h jobs would hold node 0 long past its drain; only the checkpointing one may borrow.
  ASSERT_TRUE(s.OnSubmit(Checkpointing(11, 1, hours(10))).ok());
  ASSERT_TRUE(s.OnSubmit(Job(12, 1, hours(10))).ok());
  DecisionBatch b = s.Schedule(T0());
  const StartDecision* loan = FindStart(b, 11);
  ASSERT_NE(loan, nullptr);
  EXPECT_EQ(loan->placement[0].node, 0);
  EXPECT_NE(s.RunningNote(JobId(11)).find("held for a waiting gang"), std::string::npos);
  EXPECT_EQ(s.RunningNote(JobId(1)), "");
  EXPECT_EQ(FindStart(b, 12), nullptr);
  EXPECT_NE(s.PendingReason(JobId(12)).find("about to be free for a job of 8"), std::string::npos)
      << s.PendingReason(JobId(12));
  // The loan does not move the gang's start: it is planned as if the GPU were free.
  EXPECT_NE(s.PendingReason(JobId(10)).find("reserved for"), std::string::npos)
      << s.PendingReason(JobId(10));

  // The node's own work ends: the gang takes the GPU back rather than waiting 10 h.
  s.OnFinished(JobId(1), T0() + hours(1));
  b = s.Schedule(T0() + hours(1));
  ASSERT_EQ(b.preemptions.size(), 1u);
  EXPECT_EQ(b.preemptions[0].job, JobId(11));
  EXPECT_EQ(b.preemptions[0].for_job, JobId(10));
  EXPECT_EQ(b.preemptions[0].cause, PreemptCause::kLoanRecalled);
  EXPECT_NE(b.preemptions[0].reason.find("held for job 10"), std::string::npos);
  EXPECT_EQ(FindStart(b, 12), nullptr) << "the freed GPUs are claimed for the gang";
  s.OnRequeue(JobId(11), T0() + hours(1) + seconds(60));
  b = s.Schedule(T0() + hours(1) + seconds(60));
  const StartDecision* gang = FindStart(b, 10);
  ASSERT_NE(gang, nullptr);
  EXPECT_EQ(gang->placement[0].node, 0);
}

TEST(LoanTest, WithoutLendingTheHeldGpusStayIdle) {
  SchedulerOptions o;
  o.lend_held_gpus = false;
  CorralScheduler s(o);
  HoldNodeZeroForAGang(s);
  ASSERT_TRUE(s.OnSubmit(Checkpointing(11, 1, hours(10))).ok());
  DecisionBatch b = s.Schedule(T0());
  EXPECT_EQ(FindStart(b, 11), nullptr);
}

TEST(LoanTest, AJobBoundByTheReservationBorrowsItsSpareGpus) {
  // Without the guard the reservation alone holds node 0: a checkpointing 10 h job borrows from
  // it, a 20 min one ends before the gang's start and starts as usual, not on loan.
  SchedulerOptions o;
  o.drain_guard_extension = Duration(0);
  CorralScheduler s(o);
  HoldNodeZeroForAGang(s);
  ASSERT_TRUE(s.OnSubmit(Checkpointing(11, 1, hours(10))).ok());
  ASSERT_TRUE(s.OnSubmit(Checkpointing(13, 1, minutes(20))).ok());
  // Once due (30 min) the gang comes first in the order, ahead of the smaller jobs, and holds
  // the reservation when they are placed.
  DecisionBatch b = s.Schedule(T0() + minutes(31));
  ASSERT_NE(FindStart(b, 13), nullptr);
  ASSERT_NE(FindStart(b, 11), nullptr);
  EXPECT_NE(s.PendingReason(JobId(10)).find("reserved for"), std::string::npos)
      << s.PendingReason(JobId(10));
  // At the gang's start only the loan is preempted; the short job has ended by then.
  s.OnFinished(JobId(13), T0() + minutes(51));
  s.OnFinished(JobId(1), T0() + hours(1));
  b = s.Schedule(T0() + hours(1));
  ASSERT_EQ(b.preemptions.size(), 1u);
  EXPECT_EQ(b.preemptions[0].job, JobId(11));
}

TEST(LoanTest, AJobThatWouldNotDelayTheGangIsNeverPreemptedForIt) {
  CorralScheduler s{SchedulerOptions{}};
  HoldNodeZeroForAGang(s);
  // Ends before the node drains: an ordinary start, and nothing to take back later.
  ASSERT_TRUE(s.OnSubmit(Checkpointing(11, 1, minutes(30))).ok());
  DecisionBatch b = s.Schedule(T0());
  ASSERT_NE(FindStart(b, 11), nullptr);
  s.OnFinished(JobId(1), T0() + minutes(20));
  b = s.Schedule(T0() + minutes(20));
  EXPECT_TRUE(b.preemptions.empty());
  EXPECT_EQ(FindStart(b, 10), nullptr);
}

}  // namespace
}  // namespace corral::sched
