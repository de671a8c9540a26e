#pragma once

#include <string>

#include "sim/simulator.h"

namespace corral::sim {

// The figures printed per policy. Times in hours unless named otherwise; wait = first start -
// submission; JCT = end - submission (preemptions included).
struct Summary {
  std::string policy;
  int jobs = 0;
  int never_started = 0;
  double avg_jct_h = 0, median_jct_h = 0, p95_jct_h = 0;
  double avg_wait_h = 0, max_wait_h = 0;
  double big_avg_wait_h = 0;          // jobs with >= 8 GPUs
  double allocated_while_queued = 0;  // fraction of GPUs allocated while trace jobs wait
  // The same over only the time when some waiting trace job's gang fits in the free GPUs (see
  // SimResult::queued_fit_s); 1 when there was no such time. `fit_share` is that time's share of
  // all waiting time.
  double allocated_while_fit = 1;
  double fit_share = 0;
  // Allocation while trace jobs wait with idle GPUs counted only at those moments: 1 - (GPU-time
  // idle while some waiting gang fits) / (the cluster's GPU-time while trace jobs wait). Unlike
  // the conditional average above it weighs idle capacity by how long it lasted.
  double allocated_where_fit = 1;
  double allocation = 0;   // fraction of GPU-time allocated over the span
  double utilisation = 0;  // trace GPU-time / capacity over the span
  std::string worst_tenant, best_tenant;
  double worst_tenant_wait_h = 0, best_tenant_wait_h = 0;
  int preemptions = 0;
  double lost_fraction = 0;  // lost GPU-time / allocated GPU-time
  int preempted_non_filler_for_interactive = 0;
  int interactive = 0;           // injected at >= 90% allocation
  double interactive_p95_s = 0;  // their start latency
  double interactive_max_s = 0;
  double wall_s = 0;
};

Summary Summarize(const std::string& policy, const SimResult& result);

}  // namespace corral::sim
