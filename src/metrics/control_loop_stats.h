#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/instruments.h"

namespace corral::metrics {

// Timing of the control thread: how long each named task waited in the queue and ran, how long
// scheduling passes and store commits took. A task that runs long here is a blocking call on the
// thread that every request waits for. Written by the control thread, read by scrapes.
class ControlLoopStats {
 public:
  void RecordTask(const char* name, double wait_seconds, double run_seconds);
  void RecordPass(double seconds) { pass_.Observe(seconds); }
  void RecordCommit(double seconds) { commit_.Observe(seconds); }
  void TaskQueued() { queued_.fetch_add(1, std::memory_order_relaxed); }
  void TaskDequeued() { queued_.fetch_sub(1, std::memory_order_relaxed); }

  // corral_control_task_{wait,run}_seconds, corral_control_queue_tasks,
  // corral_scheduling_pass_duration_seconds, corral_store_commit_duration_seconds.
  void Collect(std::vector<Family>& out) const;

 private:
  HistogramVec wait_{{"task"}};
  HistogramVec run_{{"task"}};
  Histogram pass_;
  Histogram commit_;
  std::atomic<int64_t> queued_{0};
};

}  // namespace corral::metrics
