#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "model/priority.h"

namespace corral::sched {

// The scheduler's view of the world: plain values, no I/O. Nodes are referred to by their index
// in the list given to Scheduler::SetNodes; GPUs by their device index on that node (these
// indices become CUDA_VISIBLE_DEVICES).
struct NodeInfo {
  std::string name;
  int gpus = 0;
  int cpus = 0;
  int64_t memory_mb = 0;
  bool up = true;
};

struct QueueConfig {
  std::string name;
  int guaranteed_gpus = 0;
  int max_gpus = -1;  // -1: no limit beyond the cluster
  double weight = 1.0;
};

struct Resources {
  int gpus = 0;
  int cpus = 0;
  int64_t memory_mb = 0;
};

struct JobRequest {
  JobId id;
  std::string user;
  std::string queue = "default";
  PriorityClass priority = PriorityClass::kNormal;
  bool preemptible = false;
  int replicas = 1;
  Resources per_replica;
  std::optional<Duration> time_limit;
  TimePoint submitted;
  // Run time already banked by earlier attempts (checkpointed work). The scheduler's estimate of
  // what is left is time_limit - prior_runtime - time run in the current attempt.
  Duration prior_runtime{0};

  int total_gpus() const { return replicas * per_replica.gpus; }
};

struct ReplicaAssignment {
  int node = -1;
  std::vector<int> gpus;
};
using Placement = std::vector<ReplicaAssignment>;  // one entry per replica, in replica order

struct StartDecision {
  JobId job;
  Placement placement;
};

// Why a running job is asked to stop.
enum class PreemptCause {
  kOpportunistic,  // it is opportunistic work and the GPUs are wanted
  kReclaim,        // its queue borrows; the owner of the capacity wants it back
  kInteractive,    // an interactive request needs a GPU now
  kShorterJob,     // a much shorter job waits (size-based preemption, when enabled)
  kLoanRecalled,   // it ran on GPUs held for a waiting job, which now needs them
};

struct PreemptDecision {
  JobId job;
  Duration grace{0};
  std::string reason;
  PreemptCause cause = PreemptCause::kOpportunistic;
  JobId for_job;  // the pending job the GPUs go to
};

struct DecisionBatch {
  std::vector<StartDecision> starts;
  std::vector<PreemptDecision> preemptions;
  bool empty() const { return starts.empty() && preemptions.empty(); }
};

}  // namespace corral::sched
