#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/ids.h"

namespace corral::jobs {

// Where one replica of an attempt was placed: the node's name and its address.
struct PlacedReplica {
  std::string node;
  std::string address;
};

// The port rank 0 listens on for one attempt. It changes with every attempt, so that a new
// attempt does not meet a port an old one still holds (TIME_WAIT, a straggler).
int RendezvousPort(JobId job, int attempt);

// The torchrun-style environment of every replica of an attempt, in replica order: RANK,
// WORLD_SIZE, NODE_RANK (nodes numbered in order of their first replica), LOCAL_RANK (0..k-1 among
// the replicas sharing a node), LOCAL_WORLD_SIZE, MASTER_ADDR (replica 0's node address) and
// MASTER_PORT; and torchrun's PET_NNODES, PET_NODE_RANK, PET_NPROC_PER_NODE (1: a replica is one
// torchrun node of one process), PET_MASTER_ADDR, PET_MASTER_PORT, PET_REDIRECTS, PET_TEE.
std::vector<std::map<std::string, std::string>> RendezvousEnv(
    const std::vector<PlacedReplica>& replicas, int port);

}  // namespace corral::jobs
