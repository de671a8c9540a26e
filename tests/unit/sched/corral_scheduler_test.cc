#include "sched/corral_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "unit/sched/test_util.h"

namespace corral::sched {
namespace {

using namespace testing;

bool Started(const DecisionBatch& b, int64_t id) {
  return std::any_of(b.starts.begin(), b.starts.end(),
                     [&](const StartDecision& s) { return s.job == JobId(id); });
}

TEST(CorralSchedulerTest, InfeasibleIsDistinctFromNotNow) {
  CorralScheduler s({});
  s.SetNodes(Nodes(2, 8));
  Status never = s.OnSubmit(Job(1, 9));
  EXPECT_EQ(never.code(), StatusCode::kInfeasible);
  EXPECT_NE(never.message().find("largest node has 8"), std::string::npos) << never.message();
  EXPECT_EQ(s.OnSubmit(Job(2, 8, hours(1), "default", 3)).code(), StatusCode::kInfeasible);
  EXPECT_EQ(s.pending_count(), 0u);

  ASSERT_TRUE(s.OnSubmit(Job(3, 8, hours(2), "default", 2)).ok());
  ASSERT_TRUE(Started(s.Schedule(T0()), 3));
  ASSERT_TRUE(s.OnSubmit(Job(4, 8)).ok());  // fits the cluster, not now
  EXPECT_TRUE(s.Schedule(T0()).starts.empty());
  EXPECT_EQ(s.pending_count(), 1u);
  EXPECT_EQ(s.PendingReason(JobId(4)), "waiting for 8 GPUs on one node; reserved for 00:13 UTC");
}

TEST(CorralSchedulerTest, QueueMaximumIsInfeasibleOrALimitReason) {
  CorralScheduler s({});
  s.SetNodes(Nodes(4, 8));
  ASSERT_TRUE(s.SetQueues({{"team-a", 0, 16, 1.0}}).ok());
  EXPECT_EQ(s.OnSubmit(Job(1, 8, hours(1), "team-a", 3)).code(), StatusCode::kInfeasible);
  ASSERT_TRUE(s.OnSubmit(Job(2, 8, hours(1), "team-a", 2)).ok());
  ASSERT_TRUE(s.OnSubmit(Job(3, 4, hours(1), "team-a")).ok());
  DecisionBatch b = s.Schedule(T0());
  EXPECT_TRUE(Started(b, 2) != Started(b, 3)) << "only one of them fits under 16 GPUs";
  EXPECT_EQ(s.queue_used_gpus("team-a") <= 16, true);
  JobId waiting = Started(b, 2) ? JobId(3) : JobId(2);
  EXPECT_EQ(s.PendingReason(waiting), "queue team-a at its limit of 16 GPUs");
  EXPECT_FALSE(s.SetQueues({{"x", 4, 2, 1.0}}).ok());
}

TEST(CorralSchedulerTest, GangStartsWhole) {
  CorralScheduler s({});
  s.SetNodes(Nodes(2, 8));
  // 6 GPUs busy on each node: 4 free in total, but no node holds a 4-GPU replica.
  ASSERT_TRUE(s.OnSubmit(Job(1, 6)).ok());
  ASSERT_TRUE(s.OnSubmit(Job(2, 6)).ok());
  ASSERT_EQ(s.Schedule(T0()).starts.size(), 2u);
  ASSERT_TRUE(s.OnSubmit(Job(3, 4, hours(1), "default", 2)).ok());
  EXPECT_TRUE(s.Schedule(T0()).starts.empty());
  s.OnFinished(JobId(1), T0() + minutes(5));
  DecisionBatch b = s.Schedule(T0() + minutes(5));
  ASSERT_EQ(b.starts.size(), 1u);
  const Placement& p = b.starts[0].placement;
  ASSERT_EQ(p.size(), 2u);
  for (const auto& r : p) EXPECT_EQ(r.gpus.size(), 4u);
  EXPECT_EQ(p[0].node, p[1].node) << "packed onto the node that holds both replicas";
}

TEST(CorralSchedulerTest, BigGangIsNotStarvedByAStreamOfSmallJobs) {
  // Shorter jobs go first, so the big job heads the order once it has waited the large-job
  // starvation age; from then on it holds the reservation and small jobs only backfill.
  SchedulerOptions o;
  o.large_job_starvation_age = minutes(30);
  o.fifo_deadline_factor = 0;  // the age policy
  CorralScheduler s(o);
  s.SetNodes(Nodes(1, 8));
  int64_t next = 1;
  // The node is busy with 1-GPU jobs of 1 h, started 10 minutes apart.
  for (int i = 0; i < 8; ++i) {
    JobRequest j = Job(next++, 1, hours(1));
    j.submitted = T0() + minutes(10 * i);
    ASSERT_TRUE(s.OnSubmit(j).ok());
    ASSERT_EQ(s.Schedule(j.submitted).starts.size(), 1u);
  }
  std::vector<std::pair<TimePoint, JobId>> ends;
  for (int i = 0; i < 8; ++i) ends.push_back({T0() + minutes(10 * i) + hours(1), JobId(i + 1)});
  // The 8-GPU job arrives; small jobs keep arriving every 5 minutes and would always fit first.
  TimePoint now = T0() + minutes(75);
  JobRequest big = Job(100, 8, hours(2));
  big.submitted = now;
  ASSERT_TRUE(s.OnSubmit(big).ok());
  std::optional<TimePoint> big_started;
  for (int step = 0; step < 60 && !big_started; ++step) {
    now += minutes(5);
    JobRequest small = Job(next++, 1, hours(1));
    small.submitted = now;
    ASSERT_TRUE(s.OnSubmit(small).ok());
    std::sort(ends.begin(), ends.end());
    while (!ends.empty() && ends.front().first <= now) {
      s.OnFinished(ends.front().second, ends.front().first);
      ends.erase(ends.begin());
    }
    DecisionBatch b = s.Schedule(now);
    for (const auto& st : b.starts) {
      if (st.job == JobId(100))
        big_started = now;
      else
        ends.push_back({now + hours(1), st.job});
    }
    if (!big_started && now >= big.submitted + minutes(30)) {
      EXPECT_NE(s.PendingReason(JobId(100)).find("reserved for"), std::string::npos);
    }
  }
  ASSERT_TRUE(big_started);
  // Starving from 1h45m; small jobs started before then run 1 h at most, and no later one may
  // delay it.
  EXPECT_LE(*big_started, T0() + hours(2) + minutes(50));
}

TEST(CorralSchedulerTest, BackfillsJobsThatEndBeforeTheReservation) {
  CorralScheduler s({});
  s.SetNodes(Nodes(1, 8));
  ASSERT_TRUE(s.OnSubmit(Job(1, 6, hours(2))).ok());
  ASSERT_EQ(s.Schedule(T0()).starts.size(), 1u);
  JobRequest big = Job(2, 8, hours(1));
  ASSERT_TRUE(s.OnSubmit(big).ok());
  JobRequest short_job = Job(3, 2, minutes(30));
  JobRequest long_job = Job(4, 2, hours(5));
  ASSERT_TRUE(s.OnSubmit(short_job).ok());
  ASSERT_TRUE(s.OnSubmit(long_job).ok());
  // Both would fit now; only the one that ends before the big job's reservation (2 h) may use
  // the GPUs reserved for it.
  DecisionBatch b = s.Schedule(T0() + hours(2) - minutes(59));
  EXPECT_TRUE(Started(b, 3));
  EXPECT_FALSE(Started(b, 4));
}

TEST(CorralSchedulerTest, ReclaimsGuaranteeByPreemptingBorrowedWork) {
  SchedulerOptions o;
  CorralScheduler s(o);
  s.SetNodes(Nodes(2, 8));
  ASSERT_TRUE(s.SetQueues({{"a", 8, -1, 1.0}, {"b", 8, -1, 1.0}}).ok());
  // Queue b borrows all of a's idle guarantee with preemptible jobs.
  for (int i = 1; i <= 16; ++i) {
    JobRequest j = Job(i, 1, hours(4), "b");
    j.preemptible = true;
    ASSERT_TRUE(s.OnSubmit(j).ok());
  }
  ASSERT_EQ(s.Schedule(T0()).starts.size(), 16u);
  EXPECT_EQ(s.queue_used_gpus("b"), 16);

  ASSERT_TRUE(s.OnSubmit(Job(100, 4, hours(1), "a")).ok());
  TimePoint now = T0() + minutes(1);
  DecisionBatch b = s.Schedule(now);
  EXPECT_TRUE(b.starts.empty());
  ASSERT_EQ(b.preemptions.size(), 4u);
  for (const auto& p : b.preemptions) {
    EXPECT_EQ(p.cause, PreemptCause::kReclaim);
    EXPECT_EQ(p.grace, o.preemption_grace);
    EXPECT_EQ(p.for_job, JobId(100));
  }
  EXPECT_NE(s.PendingReason(JobId(100)).find("once 4 preempted jobs stop"), std::string::npos);
  // Nothing else is preempted while the victims drain.
  EXPECT_TRUE(s.Schedule(now + seconds(10)).preemptions.empty());
  for (const auto& p : b.preemptions) s.OnRequeue(p.job, now + seconds(30));
  DecisionBatch later = s.Schedule(now + seconds(30));
  ASSERT_TRUE(Started(later, 100));
  EXPECT_EQ(s.queue_used_gpus("b"), 12);
  EXPECT_EQ(s.pending_count(), 4u);  // the victims, requeued
}

TEST(CorralSchedulerTest, ReclaimNeverTakesALenderBelowItsGuarantee) {
  CorralScheduler s({});
  s.SetNodes(Nodes(1, 8));
  ASSERT_TRUE(s.SetQueues({{"a", 4, -1, 1.0}, {"b", 4, -1, 1.0}, {"c", 0, -1, 1.0}}).ok());
  // c's two jobs started first (most progress), then b's six: b borrows 2, c borrows 2.
  int64_t id = 1;
  for (const char* q : {"c", "c", "b", "b", "b", "b", "b", "b"}) {
    JobRequest j = Job(id, 1, hours(4), q);
    j.preemptible = true;
    j.submitted = T0() + minutes(id);
    ASSERT_TRUE(s.OnSubmit(j).ok());
    ASSERT_EQ(s.Schedule(j.submitted).starts.size(), 1u);
    ++id;
  }
  ASSERT_TRUE(s.OnSubmit(Job(100, 4, hours(1), "a")).ok());
  DecisionBatch b = s.Schedule(T0() + hours(1));
  ASSERT_EQ(b.preemptions.size(), 4u);
  int from_b = 0, from_c = 0;
  for (const auto& p : b.preemptions) (p.job.value <= 2 ? from_c : from_b)++;
  EXPECT_EQ(from_b, 2) << "b keeps its guarantee of 4";
  EXPECT_EQ(from_c, 2);
}

TEST(CorralSchedulerTest, InteractivePreemptsOpportunisticWithGrace) {
  SchedulerOptions o;
  o.opportunistic_grace = seconds(20);
  CorralScheduler s(o);
  s.SetNodes(Nodes(1, 2));
  for (int i = 1; i <= 2; ++i) {
    JobRequest j = Job(i, 1, hours(1), "automl");
    j.priority = PriorityClass::kOpportunistic;
    j.submitted = T0() + minutes(i);
    ASSERT_TRUE(s.OnSubmit(j).ok());
    ASSERT_EQ(s.Schedule(j.submitted).starts.size(), 1u);
  }
  JobRequest nb = Job(50, 1, hours(8), "notebooks");
  nb.priority = PriorityClass::kInteractive;
  ASSERT_TRUE(s.OnSubmit(nb).ok());
  TimePoint now = T0() + minutes(10);
  DecisionBatch b = s.Schedule(now);
  ASSERT_EQ(b.preemptions.size(), 1u);
  // Least progress lost: the trial that started last.
  EXPECT_EQ(b.preemptions[0].job, JobId(2));
  EXPECT_EQ(b.preemptions[0].grace, seconds(20));
  EXPECT_EQ(b.preemptions[0].cause, PreemptCause::kOpportunistic);
  s.OnRequeue(JobId(2), now + seconds(20));
  DecisionBatch c = s.Schedule(now + seconds(20));
  ASSERT_TRUE(Started(c, 50));
  EXPECT_EQ(c.starts[0].placement[0].gpus, std::vector<int>{1});
}

TEST(CorralSchedulerTest, InteractiveDoesNotPreemptGuaranteedWork) {
  CorralScheduler s({});
  s.SetNodes(Nodes(1, 4));
  ASSERT_TRUE(s.SetQueues({{"a", 4, -1, 1.0}}).ok());
  JobRequest gang = Job(1, 2, hours(4), "a", 2);
  gang.preemptible = true;
  ASSERT_TRUE(s.OnSubmit(gang).ok());
  ASSERT_EQ(s.Schedule(T0()).starts.size(), 1u);
  JobRequest nb = Job(2, 1, hours(1), "notebooks");
  nb.priority = PriorityClass::kInteractive;
  ASSERT_TRUE(s.OnSubmit(nb).ok());
  EXPECT_TRUE(s.Schedule(T0() + minutes(1)).preemptions.empty());
}

TEST(CorralSchedulerTest, FairShareOrdersTheLighterQueueFirst) {
  SchedulerOptions o;
  o.fair_share_half_life = hours(1);
  CorralScheduler s(o);
  s.SetNodes(Nodes(1, 1));
  // Queue "heavy" used the GPU for 3 hours.
  ASSERT_TRUE(s.OnSubmit(Job(1, 1, hours(3), "heavy")).ok());
  ASSERT_TRUE(Started(s.Schedule(T0()), 1));
  s.OnFinished(JobId(1), T0() + hours(3));
  // Identical jobs; the heavy queue's has the lower id and the older submission.
  JobRequest h = Job(2, 1, hours(1), "heavy");
  JobRequest l = Job(3, 1, hours(1), "light");
  h.submitted = l.submitted = T0() + hours(3);
  ASSERT_TRUE(s.OnSubmit(h).ok());
  ASSERT_TRUE(s.OnSubmit(l).ok());
  EXPECT_TRUE(Started(s.Schedule(T0() + hours(3)), 3));
}

TEST(FairShareTrackerTest, UsageDecaysWithTheHalfLife) {
  FairShareTracker t(hours(1));
  int a = t.Client("a");
  t.Allocate(a, 2, T0());
  t.Allocate(a, -2, T0() + minutes(1));
  double after_use = t.Usage(a, T0() + minutes(1));
  EXPECT_NEAR(after_use, 120, 1.0);  // ~2 GPUs x 60 s
  EXPECT_NEAR(t.Usage(a, T0() + minutes(61)), after_use / 2, 0.5);
  EXPECT_NEAR(t.Usage(a, T0() + minutes(121)), after_use / 4, 0.5);
  EXPECT_EQ(t.Usage(t.Client("b"), T0()), 0);
}

TEST(CorralSchedulerTest, ShortJobsGoFirstButStarvingJobsGoByAge) {
  SchedulerOptions o;
  o.starvation_age = hours(3);
  o.fifo_deadline_factor = 0;  // the age policy
  CorralScheduler s(o);
  s.SetNodes(Nodes(1, 1));
  ASSERT_TRUE(s.OnSubmit(Job(1, 1, hours(1))).ok());
  ASSERT_TRUE(Started(s.Schedule(T0()), 1));
  JobRequest long_job = Job(2, 1, hours(10));
  JobRequest short_job = Job(3, 1, hours(1));
  ASSERT_TRUE(s.OnSubmit(long_job).ok());
  short_job.submitted = T0() + minutes(30);
  ASSERT_TRUE(s.OnSubmit(short_job).ok());
  s.OnFinished(JobId(1), T0() + hours(1));
  EXPECT_TRUE(Started(s.Schedule(T0() + hours(1)), 3));
  // Once the long job waited past the starvation age it is ahead of any newer short job.
  JobRequest another_short = Job(4, 1, minutes(10));
  another_short.submitted = T0() + hours(2);
  ASSERT_TRUE(s.OnSubmit(another_short).ok());
  s.OnFinished(JobId(3), T0() + hours(3) + minutes(1));
  EXPECT_TRUE(Started(s.Schedule(T0() + hours(3) + minutes(1)), 2));
}

TEST(CorralSchedulerTest, WithFifoDeadlinesAJobStarvesWhenFifoWouldHaveStartedIt) {
  SchedulerOptions o;
  o.fifo_deadline_factor = 1.0;
  o.fifo_deadline_min_wait = minutes(0);
  o.fifo_max_wait_factor = 0;  // the job's own FIFO start alone
  CorralScheduler s(o);
  s.SetNodes(Nodes(1, 1));
  ASSERT_TRUE(s.OnSubmit(Job(1, 1, hours(1))).ok());
  ASSERT_TRUE(Started(s.Schedule(T0()), 1));
  // FIFO starts the long job at 1:00 (when job 1 ends), the short ones after it.
  JobRequest long_job = Job(2, 1, hours(10));
  long_job.submitted = T0() + minutes(1);
  ASSERT_TRUE(s.OnSubmit(long_job).ok());
  JobRequest short_job = Job(3, 1, minutes(30));
  short_job.submitted = T0() + minutes(2);
  ASSERT_TRUE(s.OnSubmit(short_job).ok());
  // Before its deadline size order holds: the short job goes first...
  s.OnFinished(JobId(1), T0() + minutes(50));
  EXPECT_TRUE(Started(s.Schedule(T0() + minutes(50)), 3));
  // ...but once past it the long job is ahead of any newer short job.
  JobRequest another_short = Job(4, 1, minutes(10));
  another_short.submitted = T0() + minutes(55);
  ASSERT_TRUE(s.OnSubmit(another_short).ok());
  s.OnFinished(JobId(3), T0() + minutes(80));
  EXPECT_TRUE(Started(s.Schedule(T0() + minutes(80)), 2));
}

TEST(CorralSchedulerTest, SizeBasedPreemptionOnlyWhenEnabled) {
  for (double ratio : {0.0, 4.0}) {
    SchedulerOptions o;
    o.shorter_job_ratio = ratio;
    o.min_run_before_preemption = minutes(10);
    CorralScheduler s(o);
    s.SetNodes(Nodes(1, 1));
    JobRequest long_job = Job(1, 1, hours(20));
    long_job.preemptible = true;
    ASSERT_TRUE(s.OnSubmit(long_job).ok());
    ASSERT_TRUE(Started(s.Schedule(T0()), 1));
    ASSERT_TRUE(s.OnSubmit(Job(2, 1, minutes(30))).ok());
    DecisionBatch b = s.Schedule(T0() + hours(1));
    if (ratio == 0) {
      EXPECT_TRUE(b.preemptions.empty());
    } else {
      ASSERT_EQ(b.preemptions.size(), 1u);
      EXPECT_EQ(b.preemptions[0].cause, PreemptCause::kShorterJob);
    }
  }
}

TEST(CorralSchedulerTest, RestoredJobsHoldTheirGpus) {
  CorralScheduler s({});
  s.SetNodes(Nodes(1, 4));
  ASSERT_TRUE(s.OnRestore(Job(1, 2), {{0, {1, 2}}}, T0()).ok());
  EXPECT_FALSE(s.OnRestore(Job(2, 1), {{0, {2}}}, T0()).ok());
  ASSERT_TRUE(s.OnSubmit(Job(3, 2)).ok());
  DecisionBatch b = s.Schedule(T0());
  ASSERT_EQ(b.starts.size(), 1u);
  EXPECT_EQ(b.starts[0].placement[0].gpus, (std::vector<int>{0, 3}));
}

}  // namespace
}  // namespace corral::sched
