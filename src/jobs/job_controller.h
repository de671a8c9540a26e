#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "exec/executor.h"
#include "gpu/inventory.h"
#include "model/job.h"
#include "model/user.h"
#include "sched/scheduler.h"
#include "store/store.h"

namespace corral::jobs {

// Who is asking. Admins see and act on every job; users only on their own.
struct Caller {
  UserId id;
  std::string name;
  Role role = Role::kUser;
  bool is_admin() const { return role == Role::kAdmin; }
};

struct GpuUse {
  gpu::GpuDevice device;
  std::optional<JobId> job;
  std::string user;
};

struct NodeView {
  std::string name;
  bool simulated = false;
  int cpus = 0;
  int64_t memory_mb = 0;
  std::vector<GpuUse> gpus;
  std::string job_accounts;  // how jobs' accounts are chosen on this node (ControllerOptions)
  std::string containment;   // how jobs' process trees are held and limited
};

struct QueueView {
  sched::QueueConfig config;
  bool configured = false;  // false: seen only on jobs, running with default settings
  int gpus_in_use = 0;
  int running_jobs = 0;
  int pending_jobs = 0;
};

struct ControllerOptions {
  Duration default_kill_grace{10'000};
  Duration preemption_grace{30'000};
  // The account a user's jobs run as (see exec::ResolveJobAccount). An error fails the attempt
  // with that reason instead of running it. Unset: jobs run as the executor's own account.
  std::function<Result<exec::RunAs>(const User&)> account_for;
  // Reported with every node: "per-user" or "server (uid N)", and the executor's containment.
  std::string job_accounts = "server";
  std::string containment;
};

// Owns the life of every job: spec -> queue -> decision -> launch -> exit -> retry/requeue.
// Single-threaded: the control thread calls everything. Writes go to the store's open transaction;
// the caller commits (see api::ControlPort::AfterCommit) before acknowledging.
class JobController {
 public:
  using EventListener = std::function<void(const store::StoredEvent&)>;

  JobController(store::Store& store, exec::Executor& executor,
                std::unique_ptr<sched::Scheduler> scheduler, std::vector<gpu::NodeInventory> nodes,
                const Clock& clock, ControllerOptions options = {});

  // Takes back the jobs a previous server left: pending ones are queued again, running ones are
  // re-adopted from the executor. Call once, before serving.
  Status Recover();

  Result<Job> Submit(const Caller& caller, JobSpec spec);
  Result<Job> Get(const Caller& caller, JobId id);
  Result<store::JobPage> List(const Caller& caller, store::JobQuery query);
  Result<Job> Cancel(const Caller& caller, JobId id);
  // Log file of one replica of an attempt (default: the latest attempt).
  Result<std::string> LogPath(const Caller& caller, JobId id, std::optional<int> attempt,
                              int replica);
  std::vector<NodeView> Nodes() const;

  // Replaces the queue configuration; takes effect at the next pass. Jobs may name only
  // configured queues (and "default", which always exists).
  Status SetQueues(std::vector<sched::QueueConfig> queues);
  std::vector<QueueView> Queues() const;

  // From the executor (re-posted onto the control thread).
  void OnExecEvent(const exec::ExecEvent& event);

  // Runs a scheduling pass if anything changed since the last one, and applies its decisions.
  // Launches happen only after the decisions are durable, so a crash can never run a job twice.
  Status SchedulePass();
  bool pass_wanted() const { return pass_wanted_; }

  // Every job event, after it was written to the store (not yet committed).
  void AddEventListener(EventListener listener) { listeners_.push_back(std::move(listener)); }
  size_t active_jobs() const { return active_.size(); }

 private:
  struct ActiveJob {
    Job job;
    bool preempting = false;
    bool timed_out = false;
  };

  Status CheckFeasible(const Job& job) const;
  Status Persist(const Job& job);
  void Emit(const Job& job, const std::string& type, const std::string& message);
  sched::JobRequest RequestFor(const Job& job) const;
  Result<exec::LaunchSpec> LaunchFor(const Job& job);
  // Ends every replica of the job's current attempt as a launch failure.
  void FailLaunch(JobId id, const std::string& message);
  void FinishAttempt(ActiveJob& active);
  // Back to pending for a new attempt, keeping the history.
  void Requeue(Job& job, const std::string& reason, const std::string& event,
               const std::string& message);
  void EndJob(ActiveJob& active, JobState state, const std::string& reason);
  Result<Job> Visible(const Caller& caller, JobId id);
  int NodeIndex(const std::string& name) const;

  store::Store& store_;
  exec::Executor& executor_;
  // How the first replica of a starting attempt is contained, for its "started" event.
  std::unordered_map<JobId, std::string> containment_;
  std::unique_ptr<sched::Scheduler> scheduler_;
  std::vector<gpu::NodeInventory> nodes_;
  const Clock& clock_;
  ControllerOptions options_;
  std::unordered_map<JobId, ActiveJob> active_;
  bool pass_wanted_ = true;
  std::vector<EventListener> listeners_;
  std::vector<sched::QueueConfig> queues_;
};

}  // namespace corral::jobs
