#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "sched/cluster_view.h"
#include "sched/types.h"

namespace corral::sched {

// How many replicas of a job a node can take now, and how many GPUs it has free (for scoring).
struct NodeRoom {
  int replicas = 0;
  int free_gpus = 0;
  // How much later the node would be entirely free if the job were placed on it (seconds; 0 when
  // the job ends before what already runs there). Lower is preferred before best fit.
  double delays_drain_s = 0;
  // How long the node stays busy after the job would end (seconds; 0 when the job delays its
  // drain). Among nodes whose drain the job does not delay, the one it fits most tightly in time
  // is preferred: short jobs go where nodes drain soon after them, and the nodes that stay busy
  // longest keep their room for the long jobs that would otherwise delay another node's drain.
  double drain_slack_s = 0;
};

struct NodeShare {
  int node = -1;
  int replicas = 0;
};

// Chooses the nodes for a gang of `replicas` replicas of `gpus_per_replica` GPUs each, all or
// nothing. One node when the whole gang fits on one; else the fewest nodes (largest rooms
// first). Among equally few nodes the choice that leaves the least free capacity stranded wins
// (best fit), which keeps whole nodes free for the next big job; on one node, the smallest
// `delays_drain_s`, then the smallest `drain_slack_s`, come before the fit. `room(n)` describes
// node n.
//
// Once a node whose drain the job does not delay is found, only `lookahead` more nodes are looked
// at for a tighter one: that bounds the scan on large clusters, where the drain scores cost a
// lookup per node. A policy without drain scores (best fit alone, the simulator's baselines)
// passes kWholeCluster: its best fit must not be cut short by a bound meant for another policy.
inline constexpr int kDrainLookahead = 64;
inline constexpr int kWholeCluster = -1;
template <class RoomFn>
std::optional<std::vector<NodeShare>> ChooseNodes(int node_count, int replicas,
                                                  int gpus_per_replica, RoomFn&& room,
                                                  int lookahead = kDrainLookahead) {
  if (replicas <= 0) return std::vector<NodeShare>{};
  // One node: the one whose drain it delays least, then the one it fits most tightly in time,
  // then the best fit (the node left with the fewest free GPUs); lowest index on ties.
  int best = -1;
  int best_left = 0;
  double best_delay = 0;
  double best_slack = 0;
  int stop_at = node_count;
  for (int n = 0; n < std::min(node_count, stop_at); ++n) {
    NodeRoom r = room(n);
    if (r.replicas < replicas) continue;
    int left = r.free_gpus - replicas * gpus_per_replica;
    if (best < 0 || r.delays_drain_s < best_delay ||
        (r.delays_drain_s == best_delay &&
         (r.drain_slack_s < best_slack || (r.drain_slack_s == best_slack && left < best_left)))) {
      best = n;
      best_left = left;
      best_delay = r.delays_drain_s;
      best_slack = r.drain_slack_s;
      if (left == 0 && best_delay <= 0 && best_slack <= 0) break;
      if (best_delay <= 0 && stop_at == node_count && lookahead >= 0 &&
          lookahead < node_count - n - 1)
        stop_at = n + 1 + lookahead;
    }
  }
  if (best >= 0) return std::vector<NodeShare>{{best, replicas}};

  // Several nodes: take the largest rooms first (fewest nodes), then close with the smallest
  // room that still holds the remainder.
  struct Candidate {
    int node;
    int replicas;
    int free_gpus;
  };
  std::vector<Candidate> candidates;
  int total = 0;
  for (int n = 0; n < node_count; ++n) {
    NodeRoom r = room(n);
    if (r.replicas <= 0) continue;
    candidates.push_back({n, r.replicas, r.free_gpus});
    total += r.replicas;
  }
  if (total < replicas) return std::nullopt;
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.replicas != b.replicas) return a.replicas > b.replicas;
    if (a.free_gpus != b.free_gpus) return a.free_gpus < b.free_gpus;
    return a.node < b.node;
  });
  std::vector<NodeShare> shares;
  int left = replicas;
  size_t i = 0;
  while (left > 0) {
    if (candidates[i].replicas >= left) {
      // The smallest remaining room that holds the rest (candidates are sorted by room, desc).
      size_t fit = i;
      while (fit + 1 < candidates.size() && candidates[fit + 1].replicas >= left) ++fit;
      shares.push_back({candidates[fit].node, left});
      left = 0;
    } else {
      shares.push_back({candidates[i].node, candidates[i].replicas});
      left -= candidates[i].replicas;
      ++i;
    }
  }
  return shares;
}

// Turns node shares into per-replica device lists. `cost(n, gpu)` is < 0 for a GPU that may not
// be used, else lower is preferred (free before to-be-preempted); ties go to the lowest index so
// replicas get contiguous devices. Returns nullopt if a node has too few usable GPUs.
template <class CostFn>
std::optional<Placement> MaterializeGpus(const ClusterView& view,
                                         const std::vector<NodeShare>& shares, int gpus_per_replica,
                                         CostFn&& cost) {
  Placement placement;
  std::vector<std::pair<int, int>> ranked;
  for (const auto& s : shares) {
    ranked.clear();
    for (int g = 0; g < view.gpus_on(s.node); ++g) {
      int c = cost(s.node, g);
      if (c >= 0) ranked.push_back({c, g});
    }
    int needed = s.replicas * gpus_per_replica;
    if (static_cast<int>(ranked.size()) < needed) return std::nullopt;
    std::partial_sort(ranked.begin(), ranked.begin() + needed, ranked.end());
    std::vector<int> chosen;
    chosen.reserve(needed);
    for (int k = 0; k < needed; ++k) chosen.push_back(ranked[k].second);
    std::sort(chosen.begin(), chosen.end());
    for (int r = 0; r < s.replicas; ++r) {
      ReplicaAssignment a;
      a.node = s.node;
      a.gpus.assign(chosen.begin() + r * gpus_per_replica,
                    chosen.begin() + (r + 1) * gpus_per_replica);
      placement.push_back(std::move(a));
    }
  }
  return placement;
}

// The common case: place on usable GPUs only, with `room` limiting what each node may give
// (e.g. capped by a reservation). Replicas without GPUs get an empty device list.
template <class RoomFn>
std::optional<Placement> PlaceGang(const ClusterView& view, int replicas, int gpus_per_replica,
                                   RoomFn&& room, int lookahead = kDrainLookahead) {
  auto shares = ChooseNodes(view.node_count(), replicas, gpus_per_replica, room, lookahead);
  if (!shares) return std::nullopt;
  return MaterializeGpus(view, *shares, gpus_per_replica,
                         [&](int n, int g) { return view.usable(n, g) ? 0 : -1; });
}

}  // namespace corral::sched
