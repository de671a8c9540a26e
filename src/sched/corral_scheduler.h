#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "sched/cluster_view.h"
#include "sched/fair_share.h"
#include "sched/fifo_shadow.h"
#include "sched/options.h"
#include "sched/pending_reason.h"
#include "sched/reservation.h"
#include "sched/scheduler.h"

namespace corral::sched {

// The default policy (docs/scheduler.md). In short, per pass:
//  1. jobs whose preemption victims have stopped start on the GPUs claimed for them;
//  2. pending jobs are ordered: priority class; then jobs waiting past the starvation age, oldest
//     first; then jobs within their queue's guarantee; then by remaining GPU-time scaled by the
//     queue's and the user's decayed fair share;
//  3. in that order each job starts if its gang fits (best-fit packing), unless it would delay the
//     reservation; a job that does not fit may preempt (opportunistic work, borrowed capacity,
//     and with size-based preemption much longer jobs), else the first such job gets the
//     reservation (earliest start from time limits).
class CorralScheduler final : public Scheduler {
 public:
  explicit CorralScheduler(SchedulerOptions options);

  void SetNodes(std::vector<NodeInfo> nodes) override;
  const std::vector<NodeInfo>& nodes() const override { return nodes_; }
  Status SetQueues(std::vector<QueueConfig> queues) override;
  Status CheckFeasible(const JobRequest& job) const override;
  Status OnSubmit(const JobRequest& job) override;
  Status OnRestore(const JobRequest& job, const Placement& placement, TimePoint started) override;
  void OnFinished(JobId job, TimePoint now) override;
  void OnRequeue(JobId job, TimePoint now) override;
  void OnProgress(JobId job, Duration banked) override;
  DecisionBatch Schedule(TimePoint now) override;
  std::string PendingReason(JobId job) const override;
  std::string RunningNote(JobId job) const override;
  size_t pending_count() const override { return pending_.size(); }
  size_t running_count() const override { return running_.size(); }

  const ClusterView& view() const { return view_; }
  int queue_used_gpus(const std::string& queue) const;

 private:
  struct QueueState {
    QueueConfig config;
    int client = -1;  // fair-share client
    int used_gpus = 0;
    int pending_jobs = 0;
  };
  struct UserState {
    int queue = -1;
    int client = -1;
    int pending_jobs = 0;
    int running_jobs = 0;
  };
  struct PendingJob {
    JobRequest req;
    int queue = -1;
    int user = -1;
    TimePoint waiting_since;  // submission, or the last requeue
    TimePoint deadline;       // start in the FIFO shadow (when fifo_deadline_factor > 0)
    bool urgent = false;      // past its due wait this pass (MarkUrgent)
    Placement claim;          // GPUs claimed while preemption victims stop
    TimePoint claim_since;
    WaitState wait;
  };
  struct RunningJob {
    JobRequest req;
    Placement placement;
    TimePoint started;
    int queue = -1;
    int user = -1;
    bool preempting = false;
    Duration fifo_wait{0};  // its deadline - waiting_since, kept for a requeue
    // Started on GPUs a reservation or the drain guard held (SchedulerOptions::lend_held_gpus):
    // taken back by preemption when the job they were held for can start.
    bool on_loan = false;
  };
  struct OrderEntry {
    int band;
    double key;
    int64_t id;
    double remaining_s;
    PendingJob* job;
  };
  struct Shape {
    int replicas, gpus, cpus;
    int64_t memory_mb;
    bool operator==(const Shape&) const = default;
  };
  // The reservations made in one pass, in the order they were made. A job that would still run
  // at a reservation's start is bound by it (bit i of its mask): on each node it may take only
  // what that reservation leaves spare.
  struct PassReservations {
    std::vector<Reservation> list;
    std::vector<JobId> holders;
    std::vector<int> held;  // per node: GPUs promised to the reservations so far
    uint32_t Binding(TimePoint end) const;
    int Cap(int node, uint32_t mask, int gpus) const;
    void Take(const Placement& placement, uint32_t mask);
  };

  int QueueIndex(const std::string& name);
  int UserIndex(int queue, const std::string& user);
  bool Borrowing(int queue) const;
  double RemainingSeconds(const JobRequest& req, TimePoint started_or_now, TimePoint now) const;
  bool Preemptible(const RunningJob& r) const;
  void Start(PendingJob& job, Placement placement, TimePoint now, DecisionBatch& out,
             bool on_loan = false);
  void StartOnLoan(PendingJob& job, Placement placement, TimePoint now, DecisionBatch& out);
  // Whether a running job's GPUs count as free for planning: opportunistic work and loans, for a
  // job of a higher class (opportunistic) or at least the same class (loans).
  bool Reclaimable(const RunningJob& r) const;
  void StartClaimed(TimePoint now, DecisionBatch& out);
  // `end`: when the job would end if started now. `guard_drain`: keep off nodes about to drain
  // that it would keep busy much longer (SchedulerOptions::drain_guard_*).
  std::optional<Placement> TryPlace(const PendingJob& job, const PassReservations& reservations,
                                    uint32_t mask, TimePoint now, TimePoint end,
                                    bool guard_drain) const;
  // Node n's room for a gang of `replicas` of which `replicas_here` fit there, with how a job
  // ending at `end` meets the node's drain (placement on free GPUs and on preempted ones alike).
  NodeRoom RoomWithDrain(int n, int replicas_here, int replicas, int free_gpus,
                         TimePoint end) const;
  // When each node is expected to be entirely free (the latest estimated end of what runs there).
  // Opportunistic work does not count: whoever needs the node preempts it.
  void ComputeDrain(TimePoint now);
  void ExtendDrain(const Placement& placement, TimePoint end);
  // The reservations in `mask` cap what it may take per node, and `guard_drain` keeps it off
  // guarded nodes, as for placement on free GPUs. `kept_for_large`: it would have found victims
  // but for the guard.
  // `recall_loans`: it may take back GPUs lent to preemptible jobs (it holds, or would hold, the
  // reservation, or is a large gang the drain guard keeps nodes for).
  bool TryPreempt(PendingJob& job, TimePoint now, DecisionBatch& out,
                  PassReservations& reservations, uint32_t mask, TimePoint end, bool guard_drain,
                  bool recall_loans, bool& kept_for_large);
  // Plans `job` on capacity not held by earlier reservations of this pass.
  std::optional<Reservation> Reserve(const PendingJob& job, TimePoint now,
                                     const std::vector<int>& held);
  void Account(int queue, int user, int gpus, TimePoint now);
  void DropClaim(PendingJob& job);
  // Places the job in the FIFO shadow from `since` (fifo_deadline_factor > 0).
  void SetDeadline(PendingJob& job, TimePoint since);
  // Sets `urgent` on every pending job from its FIFO deadline and the urgent work ahead of it.
  void MarkUrgent(TimePoint now);

  SchedulerOptions options_;
  std::vector<NodeInfo> nodes_;
  ClusterView view_;
  FairShareTracker fair_share_;
  FifoShadow fifo_shadow_;
  std::vector<QueueState> queues_;
  std::unordered_map<std::string, int> queue_index_;
  std::vector<UserState> users_;
  std::unordered_map<std::string, int> user_index_;
  std::unordered_map<JobId, PendingJob> pending_;
  std::unordered_map<JobId, RunningJob> running_;
  std::vector<JobId> claim_holders_;
  TimePoint last_pass_{};
  std::vector<OrderEntry> order_;    // reused between passes
  std::vector<PendingJob*> by_age_;  // reused between passes
  std::vector<TimePoint> drain_;     // per node, this pass
  std::vector<bool> guarded_;        // per node, this pass: kept for waiting large gangs
  // Estimated releases of running GPUs, sorted by time, built on the first reservation of a pass;
  // [1] counts opportunistic work as released now (for jobs that may preempt it).
  std::vector<Release> releases_[2];
  bool releases_ready_[2] = {false, false};
};

}  // namespace corral::sched
