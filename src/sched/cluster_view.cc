#include "sched/cluster_view.h"

#include <algorithm>
#include <string>

namespace corral::sched {

void ClusterView::Reset(const std::vector<NodeInfo>& nodes) {
  nodes_ = nodes;
  offset_.assign(nodes_.size(), 0);
  size_t total = 0;
  max_node_gpus_ = 0;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    nodes_[n].gpus = std::max(0, nodes_[n].gpus);
    offset_[n] = total;
    total += nodes_[n].gpus;
    max_node_gpus_ = std::max(max_node_gpus_, nodes_[n].gpus);
  }
  total_gpus_ = static_cast<int>(total);
  owner_.assign(total, JobId{});
  claim_.assign(total, JobId{});
  usable_.assign(nodes_.size(), 0);
  free_cpus_.assign(nodes_.size(), 0);
  free_mem_.assign(nodes_.size(), 0);
  histogram_.assign(max_node_gpus_ + 1, 0);
  total_usable_ = 0;
  allocated_ = 0;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    usable_[n] = nodes_[n].gpus;
    free_cpus_[n] = nodes_[n].cpus;
    free_mem_[n] = nodes_[n].memory_mb;
    if (nodes_[n].up) {
      histogram_[usable_[n]]++;
      total_usable_ += usable_[n];
    }
  }
}

int ClusterView::nodes_with_at_least(int k) const {
  if (k <= 0) return node_count();
  int count = 0;
  for (int i = k; i <= max_node_gpus_; ++i) count += histogram_[i];
  return count;
}

int ClusterView::replica_room(int per) const {
  if (per <= 0) return 0;
  int room = 0;
  for (int i = per; i <= max_node_gpus_; ++i) room += histogram_[i] * (i / per);
  return room;
}

void ClusterView::SetUsable(int n, int count) {
  if (nodes_[n].up) {
    histogram_[usable_[n]]--;
    histogram_[count]++;
    total_usable_ += count - usable_[n];
  }
  usable_[n] = count;
}

void ClusterView::RecountSlot(int n, int gpu, bool was_usable) {
  bool now_usable = !owner(n, gpu).valid() && !claimant(n, gpu).valid();
  if (was_usable != now_usable) SetUsable(n, usable_[n] + (now_usable ? 1 : -1));
}

Status ClusterView::Assign(JobId job, const Placement& placement, const Resources& per_replica) {
  for (size_t r = 0; r < placement.size(); ++r) {
    const auto& a = placement[r];
    for (int g : a.gpus) {
      if (!valid(a.node, g))
        return FailedPrecondition("GPU " + std::to_string(g) + " on node " +
                                  std::to_string(a.node) + " does not exist");
      JobId o = owner(a.node, g);
      if (o.valid())
        return FailedPrecondition("GPU " + std::to_string(g) + " on node " +
                                  std::to_string(a.node) + " is already held by job " +
                                  std::to_string(o.value));
    }
    // The same GPU listed twice within the placement is a double booking too.
    for (size_t q = 0; q <= r; ++q) {
      const auto& b = placement[q];
      if (b.node != a.node) continue;
      for (size_t i = 0; i < a.gpus.size(); ++i) {
        size_t j_end = (q == r) ? i : b.gpus.size();
        for (size_t j = 0; j < j_end; ++j)
          if (a.gpus[i] == b.gpus[j])
            return FailedPrecondition("placement lists GPU " + std::to_string(a.gpus[i]) +
                                      " on node " + std::to_string(a.node) + " twice");
      }
    }
  }
  for (const auto& a : placement) {
    for (int g : a.gpus) {
      bool was = !owner(a.node, g).valid() && !claimant(a.node, g).valid();
      owner_[slot(a.node, g)] = job;
      if (claimant(a.node, g) == job) claim_[slot(a.node, g)] = JobId{};
      RecountSlot(a.node, g, was);
      ++allocated_;
    }
    if (a.node >= 0 && a.node < node_count()) {
      free_cpus_[a.node] -= per_replica.cpus;
      free_mem_[a.node] -= per_replica.memory_mb;
    }
  }
  return Status::Ok();
}

void ClusterView::Unassign(JobId job, const Placement& placement, const Resources& per_replica) {
  for (const auto& a : placement) {
    if (a.node < 0 || a.node >= node_count()) continue;
    for (int g : a.gpus) {
      if (!valid(a.node, g) || owner(a.node, g) != job) continue;
      owner_[slot(a.node, g)] = JobId{};
      RecountSlot(a.node, g, /*was_usable=*/false);
      --allocated_;
    }
    free_cpus_[a.node] += per_replica.cpus;
    free_mem_[a.node] += per_replica.memory_mb;
  }
}

void ClusterView::Claim(JobId job, const Placement& placement) {
  for (const auto& a : placement) {
    for (int g : a.gpus) {
      if (!valid(a.node, g) || claimant(a.node, g).valid()) continue;
      bool was = !owner(a.node, g).valid();
      claim_[slot(a.node, g)] = job;
      RecountSlot(a.node, g, was);
    }
  }
}

void ClusterView::Unclaim(JobId job, const Placement& placement) {
  for (const auto& a : placement) {
    for (int g : a.gpus) {
      if (!valid(a.node, g) || claimant(a.node, g) != job) continue;
      claim_[slot(a.node, g)] = JobId{};
      RecountSlot(a.node, g, false);
    }
  }
}

}  // namespace corral::sched
