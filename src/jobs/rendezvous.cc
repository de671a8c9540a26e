#include "jobs/rendezvous.h"

namespace corral::jobs {

int RendezvousPort(JobId job, int attempt) {
  // 29500 is torch.distributed's default; spread jobs and attempts over the ports above it,
  // below the usual ephemeral range (32768+).
  constexpr int kBase = 29500, kSpan = 3000;
  const uint64_t mix = static_cast<uint64_t>(job.value) * 7919u + static_cast<uint64_t>(attempt);
  return kBase + static_cast<int>(mix % kSpan);
}

std::vector<std::map<std::string, std::string>> RendezvousEnv(
    const std::vector<PlacedReplica>& replicas, int port) {
  std::vector<std::string> nodes;  // in order of first appearance
  std::map<std::string, int> per_node;
  for (const auto& r : replicas) {
    if (per_node[r.node]++ == 0) nodes.push_back(r.node);
  }
  std::map<std::string, int> next_local;
  std::vector<std::map<std::string, std::string>> out;
  const std::string master = replicas.empty() ? "" : replicas.front().address;
  for (size_t i = 0; i < replicas.size(); ++i) {
    const PlacedReplica& r = replicas[i];
    int node_rank = 0;
    while (nodes[static_cast<size_t>(node_rank)] != r.node) ++node_rank;
    std::map<std::string, std::string> env;
    env["RANK"] = std::to_string(i);
    env["WORLD_SIZE"] = std::to_string(replicas.size());
    env["NODE_RANK"] = std::to_string(node_rank);
    env["LOCAL_RANK"] = std::to_string(next_local[r.node]++);
    env["LOCAL_WORLD_SIZE"] = std::to_string(per_node[r.node]);
    env["MASTER_ADDR"] = master;
    env["MASTER_PORT"] = std::to_string(port);
    // torchrun reads every flag from PET_*: each replica is one torchrun "node" running one
    // process. Debian's torchrun needs redirects+tee on Python 3.11.
    env["PET_NNODES"] = std::to_string(replicas.size());
    env["PET_NODE_RANK"] = std::to_string(i);
    env["PET_NPROC_PER_NODE"] = "1";
    env["PET_MASTER_ADDR"] = master;
    env["PET_MASTER_PORT"] = std::to_string(port);
    env["PET_REDIRECTS"] = "1";
    env["PET_TEE"] = "1";
    out.push_back(std::move(env));
  }
  return out;
}

}  // namespace corral::jobs
