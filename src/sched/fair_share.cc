#include "sched/fair_share.h"

#include <cmath>

namespace corral::sched {

int FairShareTracker::Client(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) return it->second;
  int id = static_cast<int>(clients_.size());
  clients_.push_back({std::string(name)});
  index_.emplace(std::string(name), id);
  return id;
}

double FairShareTracker::UsageAt(const ClientState& c, TimePoint now) const {
  if (!c.touched) return 0;
  double dt = ToSeconds(now - c.updated);
  if (dt <= 0) return c.usage;
  if (half_life_s_ <= 0) return c.usage + c.allocated * dt;  // no decay
  // u(t) = u0 d + a H/ln2 (1 - d), d = 2^(-dt/H): the integral of a decaying constant allocation.
  double d = std::exp2(-dt / half_life_s_);
  return c.usage * d + c.allocated * half_life_s_ / std::log(2.0) * (1 - d);
}

void FairShareTracker::Allocate(int client, double gpus, TimePoint now) {
  ClientState& c = clients_[client];
  c.usage = UsageAt(c, now);
  c.updated = now;
  c.touched = true;
  c.allocated += gpus;
  if (c.allocated < 1e-9) c.allocated = 0;
}

double FairShareTracker::Usage(int client, TimePoint now) const {
  return UsageAt(clients_[client], now);
}

}  // namespace corral::sched
