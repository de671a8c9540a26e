#pragma once

#include <cstdint>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "sched/types.h"

namespace corral::sched {

// The in-memory cluster: one slot per GPU device, recording the running job that owns it and the
// pending job that has claimed it (GPUs freed by preemption are claimed for the job they are
// freed for, so nothing else takes them in between). A GPU is usable when its node is up and it
// is neither owned nor claimed. Counts per node and a histogram of nodes by usable GPUs are kept
// current so "does a job of this shape fit anywhere" is answered without a scan.
class ClusterView {
 public:
  void Reset(const std::vector<NodeInfo>& nodes);

  int node_count() const { return static_cast<int>(nodes_.size()); }
  const NodeInfo& node(int n) const { return nodes_[n]; }
  int gpus_on(int n) const { return nodes_[n].gpus; }
  bool up(int n) const { return nodes_[n].up; }
  int max_node_gpus() const { return max_node_gpus_; }
  int total_gpus() const { return total_gpus_; }

  JobId owner(int n, int gpu) const { return owner_[offset_[n] + gpu]; }
  JobId claimant(int n, int gpu) const { return claim_[offset_[n] + gpu]; }
  bool usable(int n, int gpu) const {
    return nodes_[n].up && !owner(n, gpu).valid() && !claimant(n, gpu).valid();
  }
  // Usable GPUs on a node (0 when the node is down).
  int usable_gpus(int n) const { return nodes_[n].up ? usable_[n] : 0; }
  int total_usable() const { return total_usable_; }
  // Number of up nodes with at least k usable GPUs.
  int nodes_with_at_least(int k) const;
  // Replicas of `per` GPUs that fit in usable GPUs, summed over nodes.
  int replica_room(int per) const;

  int free_cpus(int n) const { return free_cpus_[n]; }
  int64_t free_memory_mb(int n) const { return free_mem_[n]; }
  int allocated_gpus() const { return allocated_; }

  // Marks the placement's GPUs as owned by `job`. Fails, changing nothing, if a GPU does not
  // exist or is owned; a claim on it by `job` itself is consumed.
  Status Assign(JobId job, const Placement& placement, const Resources& per_replica);
  // Releases GPUs owned by `job` (others are left alone).
  void Unassign(JobId job, const Placement& placement, const Resources& per_replica);
  // Claims GPUs (owned or free) for a pending job; gives them back.
  void Claim(JobId job, const Placement& placement);
  void Unclaim(JobId job, const Placement& placement);

 private:
  size_t slot(int n, int gpu) const { return offset_[n] + gpu; }
  bool valid(int n, int gpu) const {
    return n >= 0 && n < node_count() && gpu >= 0 && gpu < nodes_[n].gpus;
  }
  void RecountSlot(int n, int gpu, bool was_usable);
  void SetUsable(int n, int count);

  std::vector<NodeInfo> nodes_;
  std::vector<size_t> offset_;
  std::vector<JobId> owner_;
  std::vector<JobId> claim_;
  std::vector<int> usable_;
  std::vector<int> free_cpus_;
  std::vector<int64_t> free_mem_;
  std::vector<int> histogram_;  // up nodes by usable GPU count
  int total_usable_ = 0;
  int total_gpus_ = 0;
  int max_node_gpus_ = 0;
  int allocated_ = 0;
};

}  // namespace corral::sched
