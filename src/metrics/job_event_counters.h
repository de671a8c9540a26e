#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "jobs/job_event.h"
#include "metrics/exposition.h"
#include "metrics/instruments.h"

namespace corral::metrics {

// Counts job events as they happen (a JobObserver on the control thread): submissions, starts,
// ends by outcome, preemptions and retries since the server started.
class JobEventCounters final : public jobs::JobObserver {
 public:
  JobEventCounters();
  void OnJobEvent(const jobs::JobEvent& event) override;
  // corral_jobs_{submitted,started,finished,preempted,retried}_total.
  void Collect(std::vector<Family>& out) const;

 private:
  std::atomic<uint64_t> submitted_{0}, started_{0}, preempted_{0}, retried_{0};
  CounterVec finished_{{"outcome"}};
};

}  // namespace corral::metrics
