#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "sched/types.h"

namespace corral::sim {

// What the harness has applied: the jobs it is running and where. Checked after every step.
struct AppliedJob {
  std::string queue;
  int replicas = 0;
  int gpus_per_replica = 0;
  sched::Placement placement;
};

struct AppliedState {
  std::vector<int> gpus_per_node;
  std::unordered_map<JobId, AppliedJob> running;
  std::map<std::string, int> queue_max_gpus;  // queues with a limit
};

// No GPU held by two jobs; each running gang complete (every replica placed, each on one existing
// node with exactly its GPUs); no queue above its maximum. The error names the first violation.
Status CheckInvariants(const AppliedState& state);

}  // namespace corral::sim
