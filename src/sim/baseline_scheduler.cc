#include "sim/baseline_scheduler.h"

#include <algorithm>
#include <unordered_map>

#include "sched/cluster_view.h"
#include "sched/placement.h"
#include "sched/reservation.h"

namespace corral::sim {
namespace {

using sched::ClusterView;
using sched::DecisionBatch;
using sched::JobRequest;
using sched::NodeRoom;
using sched::Placement;

class BaselineScheduler final : public sched::Scheduler {
 public:
  explicit BaselineScheduler(BaselinePolicy policy) : policy_(policy) {}

  void SetNodes(std::vector<sched::NodeInfo> nodes) override {
    nodes_ = std::move(nodes);
    view_.Reset(nodes_);
    for (auto& [id, r] : running_) (void)view_.Assign(id, r.placement, r.req.per_replica);
  }
  const std::vector<sched::NodeInfo>& nodes() const override { return nodes_; }
  Status SetQueues(std::vector<sched::QueueConfig>) override { return Status::Ok(); }

  Status CheckFeasible(const JobRequest& job) const override {
    int room = 0;
    for (const auto& n : nodes_)
      room += job.per_replica.gpus > 0 ? n.gpus / job.per_replica.gpus : job.replicas;
    if (room < job.replicas)
      return {StatusCode::kInfeasible,
              "the cluster cannot hold " + std::to_string(job.replicas) + " replicas of " +
                  std::to_string(job.per_replica.gpus) + " GPUs",
              "replicas"};
    return Status::Ok();
  }
  Status OnSubmit(const JobRequest& job) override {
    CORRAL_RETURN_IF_ERROR(CheckFeasible(job));
    Insert(job);
    return Status::Ok();
  }
  Status OnRestore(const JobRequest& job, const Placement& placement, TimePoint started) override {
    CORRAL_RETURN_IF_ERROR(view_.Assign(job.id, placement, job.per_replica));
    running_[job.id] = {job, placement, started};
    return Status::Ok();
  }
  void OnFinished(JobId job, TimePoint) override {
    if (auto it = running_.find(job); it != running_.end()) {
      view_.Unassign(job, it->second.placement, it->second.req.per_replica);
      running_.erase(it);
      return;
    }
    std::erase_if(pending_, [&](const JobRequest& r) { return r.id == job; });
  }
  void OnRequeue(JobId job, TimePoint now) override {
    auto it = running_.find(job);
    if (it == running_.end()) return;
    view_.Unassign(job, it->second.placement, it->second.req.per_replica);
    JobRequest req = it->second.req;
    req.prior_runtime += now - it->second.started;
    running_.erase(it);
    Insert(req);
  }
  void OnProgress(JobId job, Duration banked) override {
    for (auto& r : pending_)
      if (r.id == job) r.prior_runtime = banked;
  }

  DecisionBatch Schedule(TimePoint now) override {
    DecisionBatch out;
    std::optional<sched::Reservation> reservation;
    std::vector<std::pair<int, int>> failed;  // shapes that did not fit this pass
    std::vector<std::pair<int, int>> failed_spare;
    size_t kept = 0;
    for (size_t i = 0; i < pending_.size(); ++i) {
      JobRequest& r = pending_[i];
      const std::pair<int, int> shape{r.replicas, r.per_replica.gpus};
      bool started = false;
      bool stop = false;
      const bool constrained = reservation && now + Remaining(r) > reservation->start;
      bool known = std::find(failed.begin(), failed.end(), shape) != failed.end() ||
                   (constrained && std::find(failed_spare.begin(), failed_spare.end(), shape) !=
                                       failed_spare.end());
      if (!known && r.total_gpus() <= view_.total_usable()) {
        auto placement = sched::PlaceGang(
            view_, r.replicas, r.per_replica.gpus,
            [&](int n) {
              int g = view_.usable_gpus(n);
              int cap = constrained ? std::min(g, reservation->spare[n]) : g;
              int per = std::max(1, r.per_replica.gpus);
              return NodeRoom{std::min(cap / per, r.replicas), g};
            },
            sched::kWholeCluster);
        if (placement) {
          if (constrained)
            for (const auto& a : *placement)
              reservation->spare[a.node] -= static_cast<int>(a.gpus.size());
          (void)view_.Assign(r.id, *placement, r.per_replica);
          running_[r.id] = {r, *placement, now};
          out.starts.push_back({r.id, std::move(*placement)});
          started = true;
        } else {
          (constrained ? failed_spare : failed).push_back(shape);
        }
      } else if (!known) {
        failed.push_back(shape);
      }
      if (!started) {
        if (policy_ == BaselinePolicy::kFifo) stop = true;
        if (policy_ == BaselinePolicy::kEasy && !reservation) reservation = Reserve(r, now);
        pending_[kept++] = std::move(r);
      }
      if (stop) {
        for (size_t j = i + 1; j < pending_.size(); ++j) pending_[kept++] = std::move(pending_[j]);
        break;
      }
    }
    pending_.resize(kept);
    return out;
  }

  std::string PendingReason(JobId) const override { return {}; }
  size_t pending_count() const override { return pending_.size(); }
  size_t running_count() const override { return running_.size(); }

 private:
  struct Running {
    JobRequest req;
    Placement placement;
    TimePoint started;
  };

  static Duration Remaining(const JobRequest& r) {
    Duration limit = r.time_limit.value_or(std::chrono::hours(24 * 365));
    return std::max(Duration(std::chrono::seconds(60)), limit - r.prior_runtime);
  }

  std::optional<sched::Reservation> Reserve(const JobRequest& r, TimePoint now) const {
    std::vector<int> usable(view_.node_count());
    for (int n = 0; n < view_.node_count(); ++n) usable[n] = view_.usable_gpus(n);
    std::vector<sched::Release> releases;
    for (const auto& [id, run] : running_) {
      TimePoint end = std::max(now + std::chrono::seconds(60), run.started + Remaining(run.req));
      for (const auto& a : run.placement)
        releases.push_back({end, a.node, static_cast<int>(a.gpus.size())});
    }
    return sched::EarliestStart(now, std::move(usable), std::move(releases), r.replicas,
                                r.per_replica.gpus);
  }

  void Insert(const JobRequest& job) {
    auto later = [](const JobRequest& a, const JobRequest& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      if (a.submitted != b.submitted) return a.submitted < b.submitted;
      return a.id < b.id;
    };
    auto it = std::upper_bound(pending_.begin(), pending_.end(), job, later);
    pending_.insert(it, job);
  }

  BaselinePolicy policy_;
  std::vector<sched::NodeInfo> nodes_;
  ClusterView view_;
  std::vector<JobRequest> pending_;
  std::unordered_map<JobId, Running> running_;
};

}  // namespace

std::unique_ptr<sched::Scheduler> MakeBaselineScheduler(BaselinePolicy policy) {
  return std::make_unique<BaselineScheduler>(policy);
}

}  // namespace corral::sim
