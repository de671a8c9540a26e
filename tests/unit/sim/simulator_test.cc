#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "sched/placement.h"
#include "sched/scheduler.h"
#include "sim/baseline_scheduler.h"
#include "sim/metrics.h"

namespace corral::sim {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::vector<TraceJob> SmallTrace() {
  // One node of 8 GPUs: a long 1-GPU job, then a big job, then a stream of short 1-GPU jobs.
  std::vector<TraceJob> t;
  t.push_back({1, 0, 7200, 4, "a", "a"});
  t.push_back({2, 10, 3600, 8, "b", "b"});
  for (int i = 0; i < 30; ++i) t.push_back({100 + i, 20.0 + 300 * i, 1800, 2, "a", "a"});
  t.push_back({3, 50, 3600, 16, "b", "b"});
  std::stable_sort(t.begin(), t.end(),
                   [](const TraceJob& x, const TraceJob& y) { return x.submit_s < y.submit_s; });
  return t;
}

const JobOutcome& Find(const SimResult& r, int64_t id) {
  for (const auto& j : r.jobs)
    if (j.trace_id == id) return j;
  static JobOutcome none;
  return none;
}

ScenarioConfig TwoNodes() {
  ScenarioConfig c;
  c.nodes = 2;
  c.gpus_per_node = 8;
  return c;
}

TEST(SimulatorTest, EveryPolicyFinishesEveryJob) {
  auto trace = SmallTrace();
  for (auto make : {+[] { return MakeBaselineScheduler(BaselinePolicy::kFifo); },
                    +[] { return MakeBaselineScheduler(BaselinePolicy::kGreedy); },
                    +[] { return MakeBaselineScheduler(BaselinePolicy::kEasy); },
                    +[] { return sched::MakeDefaultScheduler(); }}) {
    auto s = make();
    auto r = Simulate(trace, *s, TwoNodes());
    ASSERT_TRUE(r.ok()) << r.status().message();
    Summary sum = Summarize("x", *r);
    EXPECT_EQ(sum.jobs, static_cast<int>(trace.size()));
    EXPECT_EQ(sum.never_started, 0);
    // The 16-GPU gang spans both nodes.
    EXPECT_EQ(Find(*r, 3).nodes, "0;1");
    for (const auto& j : r->jobs) EXPECT_GE(j.end_s - j.first_start_s, j.duration_s - 1e-6);
  }
}

TEST(SimulatorTest, FifoBlocksAndGreedyPassesTheBigJob) {
  auto trace = SmallTrace();
  auto fifo = MakeBaselineScheduler(BaselinePolicy::kFifo);
  auto greedy = MakeBaselineScheduler(BaselinePolicy::kGreedy);
  auto rf = Simulate(trace, *fifo, TwoNodes());
  auto rg = Simulate(trace, *greedy, TwoNodes());
  ASSERT_TRUE(rf.ok() && rg.ok());
  // Under FIFO the second short job waits behind the 16-GPU gang; under greedy it does not.
  EXPECT_GT(Find(*rf, 101).first_start_s, Find(*rg, 101).first_start_s);
  EXPECT_GE(Find(*rg, 3).first_start_s, Find(*rf, 3).first_start_s);
}

// A 20-hour 8-GPU job on one 8-GPU node, preempted an hour in by a 10-minute one (preemptible
// trace jobs, 300 s restart cost, shorter-job ratio 4).
Result<SimResult> SimulateOnePreemption() {
  std::vector<TraceJob> t;
  t.push_back({1, 0, 20 * 3600, 8, "a", "a"});
  t.push_back({2, 3600, 600, 8, "b", "b"});
  ScenarioConfig c;
  c.nodes = 1;
  c.gpus_per_node = 8;
  c.preemptible_trace_jobs = true;
  c.checkpoint_cost_s = 300;
  sched::SchedulerOptions o;
  o.shorter_job_ratio = 4;
  auto s = sched::MakeDefaultScheduler(o);
  return Simulate(t, *s, c);
}

TEST(SimulatorTest, PreemptionLosesTheGraceAndTheRestartCost) {
  auto r = SimulateOnePreemption();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->preemptions, 1);
  // 8 GPUs x (60 s grace + 300 s restart cost).
  EXPECT_NEAR(r->lost_gpu_s, 8 * 360.0, 1.0);
  const JobOutcome& long_job = Find(*r, 1);
  const JobOutcome& short_job = Find(*r, 2);
  EXPECT_NEAR(short_job.first_start_s - short_job.submit_s, 60, 1);
  EXPECT_NEAR(long_job.end_s, 20 * 3600 + 60 + 600 + 300, 2);
}

TEST(SimulatorTest, FillerKeepsGpusBusyAndYields) {
  std::vector<TraceJob> t;
  for (int i = 0; i < 10; ++i) t.push_back({i + 1, 3600.0 * i, 1800, 4, "a", "a"});
  ScenarioConfig c;
  c.nodes = 1;
  c.gpus_per_node = 8;
  c.filler_jobs = 8;
  c.filler_duration_s = 7200;
  auto s = sched::MakeDefaultScheduler();
  auto r = Simulate(t, *s, c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  Summary sum = Summarize("filler", *r);
  EXPECT_GT(sum.allocation, 0.95);
  EXPECT_GT(r->preempted_filler, 0);
  for (const auto& j : r->jobs) EXPECT_LE(j.first_start_s - j.submit_s, 31);
}

std::vector<std::unique_ptr<sched::Scheduler>> EveryPolicy() {
  std::vector<std::unique_ptr<sched::Scheduler>> out;
  out.push_back(MakeBaselineScheduler(BaselinePolicy::kFifo));
  out.push_back(MakeBaselineScheduler(BaselinePolicy::kGreedy));
  out.push_back(MakeBaselineScheduler(BaselinePolicy::kEasy));
  out.push_back(sched::MakeDefaultScheduler());
  return out;
}

TEST(SimulatorTest, JobsWithoutATenantReplayAsTheirOwnTenant) {
  std::vector<TraceJob> t;
  t.push_back({1, 0, 600, 4, "", ""});
  t.push_back({2, 10, 600, 8, "a", "a"});
  t.push_back({3, 20, 600, 2, "", ""});
  t.push_back({4, 30, 600, 1, "a", ""});
  for (auto& s : EveryPolicy()) {
    auto r = Simulate(t, *s, TwoNodes());
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(Summarize("x", *r).jobs, 4);
    EXPECT_EQ(Find(*r, 1).tenant, kUnnamedTenant);
    EXPECT_EQ(Find(*r, 3).tenant, kUnnamedTenant);
    EXPECT_EQ(Find(*r, 2).tenant, "a");
    EXPECT_EQ(Find(*r, 4).user, "a");  // an empty user is its tenant
  }
}

TEST(SimulatorTest, ZeroLengthJobsTakeNoTime) {
  std::vector<TraceJob> t;
  t.push_back({1, 0, 0, 8, "a", "a"});
  t.push_back({2, 0, 100, 8, "a", "a"});
  for (auto& s : EveryPolicy()) {
    auto r = Simulate(t, *s, TwoNodes());
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(Find(*r, 1).end_s, Find(*r, 1).first_start_s);
    EXPECT_EQ(Find(*r, 2).end_s - Find(*r, 2).first_start_s, 100);
  }
}

TEST(SimulatorTest, SegmentsRecordEachRunOfAPreemptedJob) {
  auto r = SimulateOnePreemption();
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<RunSegment> long_job;
  for (const auto& g : r->segments)
    if (g.trace_id == 1) long_job.push_back(g);
  ASSERT_EQ(long_job.size(), 2u);
  EXPECT_EQ(long_job[0].job, Find(*r, 1).job);
  EXPECT_EQ(long_job[0].ended, SegmentEnd::kPreempted);
  EXPECT_EQ(long_job[0].sigterm_s, 3600);
  EXPECT_EQ(long_job[0].end_s, 3660);  // the grace period
  EXPECT_EQ(long_job[0].restart_cost_s, 0);
  EXPECT_EQ(long_job[1].ended, SegmentEnd::kFinished);
  EXPECT_EQ(long_job[1].restart_cost_s, 300);
  EXPECT_EQ(long_job[1].devices, "0:0;0:1;0:2;0:3;0:4;0:5;0:6;0:7");
  // Useful run time adds up to the duration.
  const double useful = (long_job[0].sigterm_s - long_job[0].start_s) +
                        (long_job[1].end_s - long_job[1].start_s - long_job[1].restart_cost_s);
  EXPECT_EQ(useful, 20 * 3600);
  // The short job ran in between, on the same GPUs.
  ASSERT_EQ(r->segments.size(), 3u);
  EXPECT_EQ(r->segments[1].trace_id, 2);
  EXPECT_GE(r->segments[1].start_s, long_job[0].end_s);
  EXPECT_LE(r->segments[1].end_s, long_job[1].start_s);
}

TEST(SimulatorTest, AllocationWhileAWaitingGangFitsCountsOnlyThatTime) {
  // One node: a 4-GPU job runs 2 h; an 8-GPU gang waits for it; a 2-GPU job behind the gang fits
  // in the free GPUs. FIFO holds it back (that time counts, at 4 of 8 GPUs); greedy starts it,
  // and then no waiting gang fits.
  std::vector<TraceJob> t;
  t.push_back({1, 0, 7200, 4, "a", "a"});
  t.push_back({2, 10, 600, 8, "a", "a"});
  t.push_back({3, 20, 600, 2, "a", "a"});
  ScenarioConfig c;
  c.nodes = 1;
  c.gpus_per_node = 8;
  auto fifo = MakeBaselineScheduler(BaselinePolicy::kFifo);
  auto rf = Simulate(t, *fifo, c);
  ASSERT_TRUE(rf.ok());
  EXPECT_NEAR(rf->queued_fit_s, 7200 - 20, 1e-6);
  EXPECT_NEAR(Summarize("fifo", *rf).allocated_while_fit, 0.5, 1e-9);
  auto greedy = MakeBaselineScheduler(BaselinePolicy::kGreedy);
  auto rg = Simulate(t, *greedy, c);
  ASSERT_TRUE(rg.ok());
  EXPECT_EQ(rg->queued_fit_s, 0);
  EXPECT_EQ(Summarize("greedy", *rg).allocated_while_fit, 1);
}

TEST(SimulatorTest, BacklogStarvationFactorKeepsShortJobsFirstInABacklog) {
  // One node, busy 20 h. A 30 h gang waits from the start, a 1 h gang from 10 h. When the node
  // frees, both waited longer than the large-job starvation age (4 h): oldest first starts the
  // 30 h gang. With the age following the backlog (31 h of work for the node), neither starves
  // and the shorter one goes first.
  std::vector<TraceJob> t;
  t.push_back({1, 0, 20 * 3600, 8, "a", "a"});
  t.push_back({2, 1, 30 * 3600, 8, "a", "a"});
  t.push_back({3, 10 * 3600, 3600, 8, "a", "a"});
  ScenarioConfig c;
  c.nodes = 1;
  c.gpus_per_node = 8;
  // The default rule: FIFO would keep a job waiting 40 h here (job 3, behind job 2), so job 2
  // may give way to the shorter job 3 as long as its own wait stays below 0.9 of that.
  auto plain = sched::MakeDefaultScheduler();
  auto rp = Simulate(t, *plain, c);
  ASSERT_TRUE(rp.ok());
  EXPECT_EQ(Find(*rp, 3).first_start_s, 20 * 3600);
  EXPECT_EQ(Find(*rp, 2).first_start_s, 21 * 3600);
  // A fixed age alone: job 2 starves at 12 h and goes first.
  sched::SchedulerOptions aged;
  aged.fifo_deadline_factor = 0;
  auto age_only = sched::MakeDefaultScheduler(aged);
  auto ra = Simulate(t, *age_only, c);
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(Find(*ra, 2).first_start_s, 20 * 3600);
  sched::SchedulerOptions o;
  o.backlog_starvation_factor = 1;
  o.fifo_deadline_factor = 0;  // the age policy
  auto backlog = sched::MakeDefaultScheduler(o);
  auto rb = Simulate(t, *backlog, c);
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(Find(*rb, 3).first_start_s, 20 * 3600);
  EXPECT_EQ(Find(*rb, 2).first_start_s, 21 * 3600);
}

TEST(PlacementLookaheadTest, BestFitAloneSeesTheWholeCluster) {
  // 100 empty nodes but node 90, which has one free GPU: the tightest fit for one GPU.
  auto room = [](int n) { return sched::NodeRoom{n == 90 ? 1 : 8, n == 90 ? 1 : 8}; };
  auto bounded = sched::ChooseNodes(100, 1, 1, room);
  auto whole = sched::ChooseNodes(100, 1, 1, room, sched::kWholeCluster);
  ASSERT_TRUE(bounded && whole);
  EXPECT_EQ((*bounded)[0].node, 0);  // node 90 is more than 64 past the first fit
  EXPECT_EQ((*whole)[0].node, 90);
}

TEST(TraceTest, LoadsAWindowAndSynthesisesUsers) {
  const std::string path = ::testing::TempDir() + "/trace_test.csv";
  {
    std::ofstream out(path);
    out << "job_id,submit_s,duration_s,gpus,user,vc\n"
        << "1,5,10,1,x,vc1\n0,1,20,8,y,vc2\n2,50,5,2,x,vc1\n";
  }
  auto jobs = LoadTrace(path, {0.0, 40.0});
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].id, 0);  // sorted by submission
  EXPECT_EQ((*jobs)[0].tenant, "vc2");
  SynthesiseUsers(*jobs, 4);
  EXPECT_EQ((*jobs)[1].user.rfind("vc1/u", 0), 0u);
  EXPECT_FALSE(LoadTrace(path + ".missing", {}).ok());
  {
    // Empty user and vc cells load as an empty tenant (the simulator names it).
    std::ofstream out(path);
    out << "job_id,submit_s,duration_s,gpus,user,vc\n1,5,10,1,,\n2,6,0,1,x,vc1\n";
  }
  jobs = LoadTrace(path, {});
  ASSERT_TRUE(jobs.ok()) << jobs.status().message();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].tenant, "");
  EXPECT_EQ((*jobs)[1].duration_s, 0);
  std::remove(path.c_str());
}

TEST(TraceTest, RequestedLimitsRoundUpToBuckets) {
  EXPECT_EQ(RequestedLimit(60), minutes(15));
  EXPECT_EQ(RequestedLimit(3600), hours(1));
  EXPECT_EQ(RequestedLimit(3601), hours(2));
  EXPECT_EQ(RequestedLimit(30 * 3600), hours(48));
  EXPECT_EQ(RequestedLimit(8 * 86400), hours(24 * 14));
}

}  // namespace
}  // namespace corral::sim
