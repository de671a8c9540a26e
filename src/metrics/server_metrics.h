#pragma once

#include "metrics/control_loop_stats.h"
#include "metrics/http_stats.h"
#include "metrics/job_event_counters.h"
#include "metrics/trial_metrics.h"

namespace corral::metrics {

// The instruments the server's parts write into as they work; /metrics reads them at scrape time
// next to the snapshot of the cluster it takes then.
struct ServerMetrics {
  ControlLoopStats control;
  HttpStats http;
  JobEventCounters job_events;
  TrialMetricCache trials;
};

}  // namespace corral::metrics
