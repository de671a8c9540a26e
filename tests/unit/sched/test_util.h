#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sched/types.h"

namespace corral::sched::testing {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

inline TimePoint T0() { return FromMillis(1'700'000'000'000); }

inline std::vector<NodeInfo> Nodes(int count, int gpus) {
  std::vector<NodeInfo> nodes;
  for (int i = 0; i < count; ++i) nodes.push_back({"n" + std::to_string(i), gpus, 0, 0, true});
  return nodes;
}

inline JobRequest Job(int64_t id, int gpus, Duration limit = hours(1),
                      const std::string& queue = "default", int replicas = 1) {
  JobRequest r;
  r.id = JobId(id);
  r.user = "alice";
  r.queue = queue;
  r.replicas = replicas;
  r.per_replica.gpus = gpus;
  r.time_limit = limit;
  r.submitted = T0();
  return r;
}

inline const StartDecision* FindStart(const DecisionBatch& b, int64_t id) {
  for (const auto& s : b.starts)
    if (s.job == JobId(id)) return &s;
  return nullptr;
}

inline int GpuCount(const Placement& p) {
  int n = 0;
  for (const auto& r : p) n += static_cast<int>(r.gpus.size());
  return n;
}

}  // namespace corral::sched::testing
