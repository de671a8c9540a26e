#pragma once

#include <optional>
#include <vector>

#include "common/clock.h"
#include "sched/placement.h"

namespace corral::sched {

// GPUs on a node expected to become usable at a time (a running job's estimated end).
struct Release {
  TimePoint at;
  int node = -1;
  int gpus = 0;
};

// Where and when a blocked job will start if every running job ends at its estimate: the head
// of the order holds it, and others may use GPUs now only if that does not move it (EASY).
struct Reservation {
  TimePoint start;
  std::vector<NodeShare> shares;  // the nodes it will take at `start`
  // Per node: GPUs usable at `start` beyond what the reservation takes there. A job that runs
  // past `start` may take at most this many GPUs of the node.
  std::vector<int> spare;
};

// The earliest time a gang of `replicas` x `gpus_per_replica` fits, given the GPUs usable now
// per node and the releases to come. nullopt when it never fits (or needs no GPUs).
std::optional<Reservation> EarliestStart(TimePoint now, std::vector<int> usable_now,
                                         std::vector<Release> releases, int replicas,
                                         int gpus_per_replica);

// The same with `releases` already sorted by time, and `held[n]` GPUs of node n promised to
// earlier reservations: the first GPUs to become usable there go to those, so this one is planned
// on other capacity (several blocked jobs drain nodes side by side rather than one after the
// other). `spare` counts every GPU usable at the start, held ones included: a job that ends before
// the earlier reservations start may still use them. `held` may be empty.
std::optional<Reservation> EarliestStart(TimePoint now, const std::vector<int>& usable_now,
                                         const std::vector<Release>& sorted_releases,
                                         const std::vector<int>& held, int replicas,
                                         int gpus_per_replica);

}  // namespace corral::sched
