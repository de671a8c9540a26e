#pragma once

#include <map>
#include <optional>
#include <vector>

#include "gpu/inventory.h"
#include "jobs/job_controller.h"
#include "metrics/exposition.h"

namespace corral::metrics {

// What the control thread hands over for one scrape: copies, taken cheaply there and rendered on
// the scraping thread.
struct ClusterSnapshot {
  std::vector<jobs::NodeView> nodes;
  std::vector<jobs::QueueView> queues;
  std::vector<jobs::ActiveJobCount> active;
  // Jobs in the store by state (committed data, read off the control thread); empty when unread.
  std::map<JobState, int64_t> stored_by_state;
  // Live NVML figures of this host's real GPUs, by device index (empty without a driver), and
  // the node they belong to: other real nodes (Slurm's) have no figures here.
  std::vector<gpu::GpuSample> local_samples;
  std::string local_node;
};

// corral_node_*, corral_gpu_*, corral_queue_* and corral_jobs from one snapshot.
//
// Simulated GPUs have no hardware to sample: they report utilisation 1 while a job holds them and
// 0 otherwise, and no memory in use, and every per-GPU series carries simulated="true".
void AppendClusterFamilies(const ClusterSnapshot& snapshot, std::vector<Family>& out);

}  // namespace corral::metrics
