#include "sched/reservation.h"

#include <algorithm>

namespace corral::sched {

std::optional<Reservation> EarliestStart(TimePoint now, std::vector<int> usable_now,
                                         std::vector<Release> releases, int replicas,
                                         int gpus_per_replica) {
  std::sort(releases.begin(), releases.end(),
            [](const Release& a, const Release& b) { return a.at < b.at; });
  return EarliestStart(now, usable_now, releases, {}, replicas, gpus_per_replica);
}

std::optional<Reservation> EarliestStart(TimePoint now, const std::vector<int>& usable_now,
                                         const std::vector<Release>& releases,
                                         const std::vector<int>& held, int replicas,
                                         int gpus_per_replica) {
  const int per = gpus_per_replica;
  if (per <= 0 || replicas <= 0) return std::nullopt;
  const int n = static_cast<int>(usable_now.size());
  std::vector<int> usable = usable_now;
  auto avail = [&](int node) {
    int held_here = held.empty() ? 0 : held[node];
    return std::max(0, usable[node] - held_here);
  };
  // Replica room summed over nodes, kept current as releases land, so each step is O(1).
  int room = 0;
  for (int node = 0; node < n; ++node) room += avail(node) / per;
  TimePoint start = now;
  size_t i = 0;
  while (room < replicas) {
    if (i == releases.size()) return std::nullopt;
    const TimePoint at = releases[i].at;
    // Everything that lands at the same moment counts together.
    while (i < releases.size() && releases[i].at == at) {
      const Release& r = releases[i++];
      if (r.node < 0 || r.node >= n) continue;
      room -= avail(r.node) / per;
      usable[r.node] += r.gpus;
      room += avail(r.node) / per;
    }
    start = std::max(now, at);
  }
  auto shares = ChooseNodes(n, replicas, per, [&](int node) {
    return NodeRoom{avail(node) / per, avail(node)};
  });
  if (!shares) return std::nullopt;
  Reservation res;
  res.start = start;
  res.spare = std::move(usable);
  for (const auto& s : *shares) res.spare[s.node] -= s.replicas * per;
  res.shares = std::move(*shares);
  return res;
}

}  // namespace corral::sched
