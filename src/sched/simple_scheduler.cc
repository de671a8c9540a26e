// A first policy: priority class, then submission order; start whatever fits (greedy); pack each
// replica onto the busiest node that still holds it. The scheduler issue replaces this.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "sched/scheduler.h"

namespace corral::sched {
namespace {

class SimpleScheduler final : public Scheduler {
 public:
  void SetNodes(std::vector<NodeInfo> nodes) override {
    nodes_ = std::move(nodes);
    free_.assign(nodes_.size(), {});
    for (size_t i = 0; i < nodes_.size(); ++i) {
      free_[i].assign(nodes_[i].gpus, true);
    }
    for (auto& [id, r] : running_) Take(r.placement);
  }
  const std::vector<NodeInfo>& nodes() const override { return nodes_; }
  Status SetQueues(std::vector<QueueConfig>) override { return Status::Ok(); }

  Status OnSubmit(const JobRequest& job) override {
    int max_node = 0;
    int total = 0;
    for (auto& n : nodes_) {
      max_node = std::max(max_node, n.gpus);
      total += n.gpus;
    }
    if (job.per_replica.gpus > max_node) {
      return {StatusCode::kInfeasible,
              "each replica asks for " + std::to_string(job.per_replica.gpus) +
                  " GPUs but the largest node has " + std::to_string(max_node)};
    }
    if (job.per_replica.gpus * job.replicas > total) {
      return {StatusCode::kInfeasible, "job asks for " +
                                           std::to_string(job.per_replica.gpus * job.replicas) +
                                           " GPUs but the cluster has " + std::to_string(total)};
    }
    pending_.push_back(job);
    return Status::Ok();
  }

  Status OnRestore(const JobRequest& job, const Placement& placement, TimePoint) override {
    for (auto& r : placement) {
      if (r.node < 0 || r.node >= static_cast<int>(nodes_.size()))
        return FailedPrecondition("restored job is placed on an unknown node");
    }
    running_[job.id] = {job, placement};
    Take(placement);
    return Status::Ok();
  }

  void OnFinished(JobId job, TimePoint) override {
    auto it = running_.find(job);
    if (it != running_.end()) {
      Release(it->second.placement);
      running_.erase(it);
      return;
    }
    std::erase_if(pending_, [&](const JobRequest& j) { return j.id == job; });
  }

  void OnRequeue(JobId job, TimePoint) override {
    auto it = running_.find(job);
    if (it == running_.end()) return;
    Release(it->second.placement);
    pending_.push_back(it->second.request);
    running_.erase(it);
  }

  DecisionBatch Schedule(TimePoint) override {
    DecisionBatch out;
    std::stable_sort(pending_.begin(), pending_.end(), [](const JobRequest& a, const JobRequest& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      return a.submitted < b.submitted;
    });
    std::vector<JobRequest> still;
    for (auto& job : pending_) {
      auto placement = Place(job);
      if (!placement) {
        still.push_back(job);
        continue;
      }
      Take(*placement);
      running_[job.id] = {job, *placement};
      out.starts.push_back({job.id, std::move(*placement)});
    }
    pending_ = std::move(still);
    return out;
  }

  std::string PendingReason(JobId job) const override {
    for (auto& j : pending_) {
      if (j.id == job)
        return "waiting for " + std::to_string(j.replicas) + " x " +
               std::to_string(j.per_replica.gpus) + " free GPUs";
    }
    return {};
  }

 private:
  struct Running {
    JobRequest request;
    Placement placement;
  };

  int FreeOn(size_t node) const {
    if (!nodes_[node].up) return 0;
    return static_cast<int>(std::count(free_[node].begin(), free_[node].end(), true));
  }

  std::optional<Placement> Place(const JobRequest& job) const {
    std::vector<int> free(nodes_.size());
    for (size_t i = 0; i < nodes_.size(); ++i) free[i] = FreeOn(i);
    Placement p;
    std::vector<std::vector<bool>> scratch = free_;
    for (int r = 0; r < job.replicas; ++r) {
      int best = -1;
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (free[i] < job.per_replica.gpus || !nodes_[i].up) continue;
        if (best < 0 || free[i] < free[best]) best = static_cast<int>(i);
      }
      if (best < 0) return std::nullopt;
      ReplicaAssignment a{best, {}};
      for (int g = 0; g < nodes_[best].gpus && static_cast<int>(a.gpus.size()) < job.per_replica.gpus;
           ++g) {
        if (scratch[best][g]) {
          scratch[best][g] = false;
          a.gpus.push_back(g);
        }
      }
      free[best] -= job.per_replica.gpus;
      p.push_back(std::move(a));
    }
    return p;
  }

  void Take(const Placement& p) {
    for (auto& r : p)
      for (int g : r.gpus)
        if (r.node < static_cast<int>(free_.size()) && g < static_cast<int>(free_[r.node].size()))
          free_[r.node][g] = false;
  }
  void Release(const Placement& p) {
    for (auto& r : p)
      for (int g : r.gpus)
        if (r.node < static_cast<int>(free_.size()) && g < static_cast<int>(free_[r.node].size()))
          free_[r.node][g] = true;
  }

  std::vector<NodeInfo> nodes_;
  std::vector<std::vector<bool>> free_;
  std::vector<JobRequest> pending_;
  std::unordered_map<JobId, Running> running_;
};

}  // namespace

std::unique_ptr<Scheduler> MakeDefaultScheduler() { return std::make_unique<SimpleScheduler>(); }

}  // namespace corral::sched
