#include "sched/reservation.h"

#include <algorithm>

namespace corral::sched {

std::optional<Reservation> EarliestStart(TimePoint now, std::vector<int> usable_now,
                                         std::vector<Release> releases, int replicas,
                                         int gpus_per_replica) {
  const int per = gpus_per_replica;
  if (per <= 0 || replicas <= 0) return std::nullopt;
  // Replica room summed over nodes, kept current as releases land, so each step is O(1).
  int room = 0;
  for (int c : usable_now) room += c / per;
  std::sort(releases.begin(), releases.end(),
            [](const Release& a, const Release& b) { return a.at < b.at; });
  TimePoint start = now;
  size_t i = 0;
  while (room < replicas) {
    if (i == releases.size()) return std::nullopt;
    const TimePoint at = releases[i].at;
    // Everything that lands at the same moment counts together.
    while (i < releases.size() && releases[i].at == at) {
      const Release& r = releases[i++];
      if (r.node < 0 || r.node >= static_cast<int>(usable_now.size())) continue;
      room -= usable_now[r.node] / per;
      usable_now[r.node] += r.gpus;
      room += usable_now[r.node] / per;
    }
    start = std::max(now, at);
  }
  const int n = static_cast<int>(usable_now.size());
  auto shares = ChooseNodes(n, replicas, per, [&](int node) {
    return NodeRoom{usable_now[node] / per, usable_now[node]};
  });
  if (!shares) return std::nullopt;
  Reservation res;
  res.start = start;
  res.spare = std::move(usable_now);
  for (const auto& s : *shares) res.spare[s.node] -= s.replicas * per;
  res.shares = std::move(*shares);
  return res;
}

}  // namespace corral::sched
