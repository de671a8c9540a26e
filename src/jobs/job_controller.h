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
#include "jobs/job_event.h"
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
  std::string address;
  bool up = true;
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

// How many active jobs share a queue, priority class and state, and the GPUs they ask for.
struct ActiveJobCount {
  std::string queue;
  PriorityClass priority = PriorityClass::kNormal;
  JobState state = JobState::kPending;
  int64_t jobs = 0;
  int64_t gpus = 0;
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
//
// Other controllers (experiments, workflows, notebooks, training) build on it through three
// seams: they submit with a JobParent naming themselves, follow their jobs as JobObservers, and
// give secrets to their jobs' processes as LaunchEnvProviders (never through the stored spec).
class JobController {
 public:
  JobController(store::Store& store, exec::Executor& executor,
                std::unique_ptr<sched::Scheduler> scheduler, std::vector<gpu::NodeInventory> nodes,
                const Clock& clock, ControllerOptions options = {});

  // Takes back the jobs a previous server left: pending ones are queued again, running ones are
  // re-adopted from the executor. Call once, before serving.
  Status Recover();

  Result<Job> Submit(const Caller& caller, JobSpec spec,
                     std::optional<JobParent> parent = std::nullopt);
  Result<Job> Get(const Caller& caller, JobId id);
  Result<store::JobPage> List(const Caller& caller, store::JobQuery query);
  // The live state of the jobs among `jobs` that are still active (not yet ended), with their
  // pending reasons; the rest are left out. Lets a reader that read a page from a read-only store
  // connection show what the store has not committed yet, without asking the store again.
  std::vector<Job> ActiveOf(const std::vector<JobId>& jobs) const;
  Result<Job> Cancel(const Caller& caller, JobId id);
  // Log file of one replica of an attempt (default: the latest attempt).
  Result<std::string> LogPath(const Caller& caller, JobId id, std::optional<int> attempt,
                              int replica);
  // The same replica's log as a source any backend can serve; nullptr when there is none yet.
  Result<std::unique_ptr<exec::LogSource>> OpenLog(const Caller& caller, JobId id,
                                                   std::optional<int> attempt, int replica);
  std::vector<NodeView> Nodes() const;

  // Replaces the queue configuration; takes effect at the next pass. Jobs may name only
  // configured queues (and "default", which always exists).
  Status SetQueues(std::vector<sched::QueueConfig> queues);
  std::vector<QueueView> Queues() const;
  // Active jobs grouped by queue, priority class and state (for /metrics): one walk over them.
  std::vector<ActiveJobCount> CountActive() const;

  // From the executor (re-posted onto the control thread).
  void OnExecEvent(const exec::ExecEvent& event);
  // A node joined or left (from the executor's NodeSink, re-posted onto the control thread). A new
  // node joins the cluster view; a node going down ends the attempts running on it, which then
  // restart or fail as after a preemption (RetryPolicy::retry_on_preemption).
  void OnNodeEvent(const exec::NodeEvent& event);

  // Runs a scheduling pass if anything changed since the last one, and applies its decisions.
  // Launches happen only after the decisions are durable, so a crash can never run a job twice.
  Status SchedulePass();
  bool pass_wanted() const { return pass_wanted_; }

  // Every job event, after it was written to the store (not yet committed), in order. Not owned;
  // must outlive the controller's use.
  void AddObserver(JobObserver* observer) { observers_.push_back(observer); }
  void AddLaunchEnvProvider(LaunchEnvProvider* provider) { env_providers_.push_back(provider); }
  size_t active_jobs() const { return active_.size(); }

 private:
  struct ActiveJob {
    Job job;
    bool preempting = false;
    bool timed_out = false;
    std::string lost_node;  // the attempt ends because this node went down
  };

  struct EventDetail {
    std::optional<int> replica;
    std::optional<int> exit_code;
  };

  Status CheckFeasible(const Job& job) const;
  Status Persist(const Job& job);
  void Emit(const Job& job, JobEventKind kind, const std::string& reason, EventDetail detail = {});
  sched::JobRequest RequestFor(const Job& job) const;
  Result<exec::LaunchSpec> LaunchFor(const Job& job);
  // Ends every replica of the job's current attempt as a launch failure.
  void FailLaunch(JobId id, const std::string& message);
  void FinishAttempt(ActiveJob& active);
  // After preemption or the loss of a node: back to pending (kPreempted, then kPending) without
  // consuming a retry when the policy allows it, else the job fails with `reason`.
  void Interrupted(ActiveJob& active, const std::string& reason);
  // Back to pending for a new attempt, keeping the history.
  void Requeue(Job& job, const std::string& reason, JobEventKind event, const std::string& message);
  void PushNodes();
  void EndJob(ActiveJob& active, JobState state, const std::string& reason);
  // The scheduler's live word on an active job: why it waits, or that it runs on loan.
  void LiveReason(Job& job) const;
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
  std::vector<bool> node_up_;
  bool pass_wanted_ = true;
  std::vector<JobObserver*> observers_;
  std::vector<LaunchEnvProvider*> env_providers_;
  std::vector<sched::QueueConfig> queues_;
};

}  // namespace corral::jobs
