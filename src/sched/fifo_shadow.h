#pragma once

#include <queue>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace corral::sched {

// A first-come-first-served schedule of the same jobs on the cluster's GPUs taken as one pool,
// kept beside the real one from the jobs' estimates. A job's start there is when FIFO would have
// started it at the latest (the pool has no packing constraints, so real FIFO is no earlier):
// the scheduler uses it as the job's deadline, so that ordering by size never makes a job wait
// longer than FIFO would, and in an overloaded cluster, where FIFO's waits grow with the backlog,
// jobs keep their size order for as long as FIFO itself would have kept them waiting.
class FifoShadow {
 public:
  void SetCapacity(int gpus) { capacity_ = gpus; }

  // The job's start in the shadow schedule. Arrivals come in submission order; one before the
  // last start is queued behind it (FIFO never starts a later arrival first).
  TimePoint Admit(TimePoint arrival, int gpus, Duration estimate);

  size_t running() const { return ends_.size(); }
  // The longest wait in the shadow schedule so far.
  Duration max_wait() const { return max_wait_; }

 private:
  using End = std::pair<TimePoint, int>;  // when, GPUs released
  int capacity_ = 0;
  int used_ = 0;
  TimePoint last_start_{};
  Duration max_wait_{0};
  std::priority_queue<End, std::vector<End>, std::greater<End>> ends_;
};

}  // namespace corral::sched
