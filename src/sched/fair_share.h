#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"

namespace corral::sched {

// Decayed GPU-time per client (a queue, or a user within a queue), in the manner of Mesos' DRF
// sorter: a plain object that is told about allocations and answers with usage. Usage decays
// with a half-life, so what a team used last week weighs less than what it used this morning.
// Each client's usage is brought up to date lazily, so a change costs O(1).
class FairShareTracker {
 public:
  explicit FairShareTracker(Duration half_life) : half_life_s_(ToSeconds(half_life)) {}

  // Stable index for a client name (created on first use).
  int Client(std::string_view name);
  int client_count() const { return static_cast<int>(clients_.size()); }
  const std::string& name(int client) const { return clients_[client].name; }

  // The client's allocation changes by `gpus` at `now` (negative to release).
  void Allocate(int client, double gpus, TimePoint now);
  // Decayed GPU-seconds at `now`.
  double Usage(int client, TimePoint now) const;
  double allocation(int client) const { return clients_[client].allocated; }

 private:
  struct ClientState {
    std::string name;
    double usage = 0;      // decayed GPU-seconds at `updated`
    double allocated = 0;  // GPUs held since `updated`
    TimePoint updated{};
    bool touched = false;
  };
  static double ToSeconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }
  double UsageAt(const ClientState& c, TimePoint now) const;

  double half_life_s_;
  std::vector<ClientState> clients_;
  std::unordered_map<std::string, int> index_;
};

}  // namespace corral::sched
