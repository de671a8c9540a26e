#include "server/slurm_backend.h"

namespace corral {

Result<SlurmBackend> StartSlurmBackend(exec::slurm::SlurmExecutorOptions options) {
  SlurmBackend backend;
  const std::string partition = options.partition;
  backend.executor = std::make_unique<exec::slurm::SlurmExecutor>(std::move(options));
  auto nodes = backend.executor->DiscoverNodes();
  if (!nodes.ok()) {
    backend.executor->Shutdown();
    return nodes.status();
  }
  if (nodes->empty()) {
    backend.executor->Shutdown();
    return FailedPrecondition(partition.empty()
                                  ? "Slurm has no nodes"
                                  : "Slurm partition '" + partition + "' has no nodes");
  }
  for (const auto& n : *nodes) {
    gpu::NodeInventory inv;
    inv.name = n.name;
    inv.address = n.address;
    inv.cpus = n.cpus;
    inv.memory_mb = n.memory_mb;
    // Slurm names the devices it hands out itself (CUDA_VISIBLE_DEVICES per step); Corral counts
    // them per node and places by count.
    for (int g = 0; g < n.gpus; ++g) inv.gpus.push_back({g, "", "slurm gres/gpu", 0, false});
    backend.nodes.push_back(std::move(inv));
  }
  return backend;
}

}  // namespace corral
