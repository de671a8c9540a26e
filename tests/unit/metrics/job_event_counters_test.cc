#include "metrics/job_event_counters.h"

#include <gtest/gtest.h>

#include "metric_lookup.h"

namespace corral::metrics {
namespace {

jobs::JobEvent Event(jobs::JobEventKind kind) {
  jobs::JobEvent e;
  e.kind = kind;
  return e;
}

TEST(JobEventCountersTest, CountsSubmissionsStartsAndEndsByOutcome) {
  JobEventCounters c;
  using K = jobs::JobEventKind;
  for (K k : {K::kSubmitted, K::kSubmitted, K::kScheduled, K::kStarted, K::kSucceeded, K::kFailed,
              K::kFailed, K::kPreempted, K::kRetrying, K::kReplicaStarted})
    c.OnJobEvent(Event(k));
  std::vector<Family> out;
  c.Collect(out);
  using testing::ValueOf;
  EXPECT_EQ(ValueOf(out, "corral_jobs_submitted_total"), 2);
  EXPECT_EQ(ValueOf(out, "corral_jobs_started_total"), 1);
  EXPECT_EQ(ValueOf(out, "corral_jobs_finished_total", {{"outcome", "succeeded"}}), 1);
  EXPECT_EQ(ValueOf(out, "corral_jobs_finished_total", {{"outcome", "failed"}}), 2);
  // Present from the start, at zero.
  EXPECT_EQ(ValueOf(out, "corral_jobs_finished_total", {{"outcome", "cancelled"}}), 0);
  EXPECT_EQ(ValueOf(out, "corral_jobs_preempted_total"), 1);
  EXPECT_EQ(ValueOf(out, "corral_jobs_retried_total"), 1);
}

}  // namespace
}  // namespace corral::metrics
