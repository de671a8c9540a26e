#include "sim/invariants.h"

#include <algorithm>

namespace corral::sim {

Status CheckInvariants(const AppliedState& state) {
  std::vector<size_t> offset(state.gpus_per_node.size() + 1, 0);
  for (size_t n = 0; n < state.gpus_per_node.size(); ++n)
    offset[n + 1] = offset[n] + state.gpus_per_node[n];
  std::vector<int64_t> holder(offset.back(), 0);
  std::map<std::string, int> used;
  // Visit jobs in id order so the message is the same on every run.
  std::vector<JobId> ids;
  ids.reserve(state.running.size());
  for (const auto& [id, job] : state.running) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (JobId id : ids) {
    const AppliedJob& job = state.running.at(id);
    const std::string who = "job " + std::to_string(id.value);
    if (static_cast<int>(job.placement.size()) != job.replicas)
      return Internal("gang violated: " + who + " runs " + std::to_string(job.placement.size()) +
                      " of its " + std::to_string(job.replicas) + " replicas");
    for (size_t r = 0; r < job.placement.size(); ++r) {
      const auto& a = job.placement[r];
      if (a.node < 0 || a.node >= static_cast<int>(state.gpus_per_node.size()))
        return Internal(who + " replica " + std::to_string(r) + " is on unknown node " +
                        std::to_string(a.node));
      if (static_cast<int>(a.gpus.size()) != job.gpus_per_replica)
        return Internal("gang violated: " + who + " replica " + std::to_string(r) + " holds " +
                        std::to_string(a.gpus.size()) + " GPUs, wants " +
                        std::to_string(job.gpus_per_replica));
      for (int g : a.gpus) {
        if (g < 0 || g >= state.gpus_per_node[a.node])
          return Internal(who + " holds GPU " + std::to_string(g) + " that node " +
                          std::to_string(a.node) + " does not have");
        int64_t& h = holder[offset[a.node] + g];
        if (h != 0)
          return Internal("GPU double-booked: node " + std::to_string(a.node) + " GPU " +
                          std::to_string(g) + " held by job " + std::to_string(h) + " and " + who);
        h = id.value;
      }
    }
    used[job.queue] += job.replicas * job.gpus_per_replica;
  }
  for (const auto& [queue, max] : state.queue_max_gpus) {
    auto it = used.find(queue);
    if (it != used.end() && it->second > max)
      return Internal("quota violated: queue " + queue + " holds " + std::to_string(it->second) +
                      " GPUs, its maximum is " + std::to_string(max));
  }
  return Status::Ok();
}

}  // namespace corral::sim
