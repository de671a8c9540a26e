#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "exec/slurm/slurm_executor.h"
#include "gpu/inventory.h"

namespace corral {

// A Slurm executor and the node inventory it learned from the cluster at start.
struct SlurmBackend {
  std::unique_ptr<exec::slurm::SlurmExecutor> executor;
  std::vector<gpu::NodeInventory> nodes;
};

// Starts the executor and asks Slurm for the partition's nodes (their names, addresses, CPUs,
// memory and GPU counts). Fails when Slurm does not answer or the partition has no node.
Result<SlurmBackend> StartSlurmBackend(exec::slurm::SlurmExecutorOptions options);

}  // namespace corral
