#include "jobs/job_controller.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "common/log.h"
#include "jobs/rendezvous.h"

namespace corral::jobs {

JobController::JobController(store::Store& store, exec::Executor& executor,
                             std::unique_ptr<sched::Scheduler> scheduler,
                             std::vector<gpu::NodeInventory> nodes, const Clock& clock,
                             ControllerOptions options)
    : store_(store),
      executor_(executor),
      scheduler_(std::move(scheduler)),
      nodes_(std::move(nodes)),
      clock_(clock),
      options_(options),
      node_up_(nodes_.size(), true) {
  PushNodes();
}

void JobController::PushNodes() {
  std::vector<sched::NodeInfo> infos;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto& n = nodes_[i];
    infos.push_back({n.name, static_cast<int>(n.gpus.size()), n.cpus, n.memory_mb, node_up_[i]});
  }
  scheduler_->SetNodes(std::move(infos));
}

int JobController::NodeIndex(const std::string& name) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == name) return static_cast<int>(i);
  return -1;
}

sched::JobRequest JobController::RequestFor(const Job& job) const {
  sched::JobRequest r;
  r.id = job.id;
  r.user = job.owner_name;
  r.queue = job.spec.queue;
  r.priority = job.spec.priority;
  r.preemptible = job.spec.preemptible || job.spec.priority == PriorityClass::kOpportunistic;
  r.replicas = job.spec.replicas;
  r.per_replica = {job.spec.resources.gpus, job.spec.resources.cpus, job.spec.resources.memory_mb};
  r.time_limit = job.spec.time_limit;
  r.submitted = job.submitted_at;
  return r;
}

Status JobController::Persist(const Job& job) { return store_.UpdateJob(job); }

void JobController::Emit(const Job& job, JobEventKind kind, const std::string& reason,
                         EventDetail detail) {
  store::StoredEvent stored;
  stored.time = clock_.Now();
  stored.job = job.id;
  stored.owner = job.owner;
  stored.type = std::string(JobEventKindName(kind));
  stored.message = reason;
  auto seq = store_.AppendEvent(stored);
  if (!seq.ok()) {
    log::Error("recording event for job {}: {}", job.id.value, seq.status().ToString());
    return;
  }
  JobEvent ev;
  ev.seq = *seq;
  ev.kind = kind;
  ev.job = job.id;
  ev.owner = job.owner;
  ev.parent = job.parent;
  ev.state = job.state;
  ev.attempt = job.attempts.empty() ? 0 : job.attempts.back().number;
  ev.replica = detail.replica;
  ev.exit_code = detail.exit_code;
  ev.reason = reason;
  ev.time = stored.time;
  // An observer may act on the controller (submit, cancel) while being told: iterate by index
  // over a list that only grows.
  for (size_t i = 0; i < observers_.size(); ++i) observers_[i]->OnJobEvent(ev);
}

Status JobController::Recover() {
  CORRAL_ASSIGN_OR_RETURN(std::vector<Job> jobs, store_.LoadActiveJobs());
  TimePoint now = clock_.Now();
  for (Job& job : jobs) {
    ActiveJob active;
    active.job = std::move(job);
    Job& j = active.job;
    bool has_attempt = !j.attempts.empty() && !j.attempts.back().ended_at;
    if (j.state == JobState::kPending || j.state == JobState::kPreempted || !has_attempt) {
      j.state = JobState::kPending;
      Status s = scheduler_->OnSubmit(RequestFor(j));
      if (!s.ok()) {
        // The cluster shrank below what the job needs: it can never start now.
        j.state = JobState::kFailed;
        j.reason = "infeasible after restart: " + s.message();
        j.ended_at = now;
        CORRAL_RETURN_IF_ERROR(Persist(j));
        Emit(j, JobEventKind::kFailed, j.reason);
        continue;
      }
      JobId id = j.id;
      active_.emplace(id, std::move(active));
      continue;
    }
    // Starting or running: the replicas may still be alive under their shims.
    Attempt& attempt = j.attempts.back();
    sched::Placement placement;
    bool placement_ok = true;
    for (auto& r : attempt.replicas) {
      int idx = NodeIndex(r.placement.node);
      if (idx < 0) placement_ok = false;
      placement.push_back({idx, r.placement.gpus});
    }
    if (placement_ok) {
      Status s = scheduler_->OnRestore(RequestFor(j), placement, attempt.started_at.value_or(now));
      if (!s.ok()) log::Warn("job {}: restoring placement: {}", j.id.value, s.ToString());
    } else {
      log::Warn("job {}: runs on a node this server no longer has", j.id.value);
    }
    JobId id = j.id;
    int attempt_no = attempt.number;
    std::vector<std::pair<int, std::string>> to_adopt;
    for (auto& r : attempt.replicas)
      if (r.state != ReplicaState::kExited) to_adopt.push_back({r.index, r.external_id});
    active_.emplace(id, std::move(active));
    for (auto& [index, external] : to_adopt) executor_.Adopt({id, attempt_no, index}, external);
  }
  pass_wanted_ = true;
  log::Info("recovered {} active jobs", active_.size());
  return Status::Ok();
}

Result<Job> JobController::Submit(const Caller& caller, JobSpec spec,
                                  std::optional<JobParent> parent) {
  Job job;
  job.parent = std::move(parent);
  job.owner = caller.id;
  job.owner_name = caller.name;
  job.spec = std::move(spec);
  job.state = JobState::kPending;
  job.submitted_at = clock_.Now();
  // Refuse what can never fit before anything is written: a rejected request changes nothing.
  CORRAL_RETURN_IF_ERROR(CheckFeasible(job));
  CORRAL_RETURN_IF_ERROR(store_.InsertJob(job));
  Status s = scheduler_->OnSubmit(RequestFor(job));
  if (!s.ok()) {
    // CheckFeasible ran against the same state, so this is not expected; if it happens the row
    // stays as a record of the refusal.
    job.state = JobState::kFailed;
    job.reason = "infeasible: " + s.message();
    job.ended_at = job.submitted_at;
    CORRAL_RETURN_IF_ERROR(Persist(job));
    return s;
  }
  job.reason = scheduler_->PendingReason(job.id);
  Emit(job, JobEventKind::kSubmitted, "");
  ActiveJob active;
  active.job = job;
  active_.emplace(job.id, std::move(active));
  pass_wanted_ = true;
  return job;
}

Status JobController::SetQueues(std::vector<sched::QueueConfig> queues) {
  CORRAL_RETURN_IF_ERROR(scheduler_->SetQueues(queues));
  queues_ = std::move(queues);
  pass_wanted_ = true;
  return Status::Ok();
}

std::vector<QueueView> JobController::Queues() const {
  std::vector<QueueView> out;
  auto find = [&out](const std::string& name) -> QueueView& {
    for (auto& q : out)
      if (q.config.name == name) return q;
    out.push_back({});
    out.back().config.name = name;
    return out.back();
  };
  find("default");
  for (auto& q : queues_) {
    QueueView& v = find(q.name);
    v.config = q;
    v.configured = true;
  }
  for (auto& [id, active] : active_) {
    const Job& job = active.job;
    QueueView& v = find(job.spec.queue);
    if (job.state == JobState::kStarting || job.state == JobState::kRunning) {
      ++v.running_jobs;
      v.gpus_in_use += job.spec.replicas * job.spec.resources.gpus;
    } else {
      ++v.pending_jobs;
    }
  }
  return out;
}

std::vector<ActiveJobCount> JobController::CountActive() const {
  std::map<std::tuple<std::string_view, PriorityClass, JobState>, ActiveJobCount> groups;
  for (const auto& [id, active] : active_) {
    const Job& job = active.job;
    auto [it, inserted] = groups.try_emplace({job.spec.queue, job.spec.priority, job.state});
    if (inserted) it->second = {job.spec.queue, job.spec.priority, job.state, 0, 0};
    ++it->second.jobs;
    it->second.gpus += int64_t{job.spec.replicas} * job.spec.resources.gpus;
  }
  std::vector<ActiveJobCount> out;
  out.reserve(groups.size());
  for (auto& [key, count] : groups) out.push_back(std::move(count));
  return out;
}

// Refuses before anything is stored: a queue the admin never configured (the scheduler itself
// would accept any name), and whatever the scheduler says could never be placed.
Status JobController::CheckFeasible(const Job& job) const {
  const std::string& queue = job.spec.queue;
  if (queue != "default" &&
      std::none_of(queues_.begin(), queues_.end(),
                   [&](const sched::QueueConfig& q) { return q.name == queue; })) {
    return InvalidArgument("queue", "no queue named '" + queue + "' (see GET /api/v1/queues)");
  }
  return scheduler_->CheckFeasible(RequestFor(job));
}

void JobController::LiveReason(Job& job) const {
  if (job.state == JobState::kPending) {
    job.reason = scheduler_->PendingReason(job.id);
  } else if (job.state == JobState::kRunning && job.reason.empty()) {
    job.reason = scheduler_->RunningNote(job.id);
  }
}

Result<Job> JobController::Visible(const Caller& caller, JobId id) {
  auto it = active_.find(id);
  Job job;
  if (it != active_.end()) {
    job = it->second.job;
    LiveReason(job);
  } else {
    CORRAL_ASSIGN_OR_RETURN(std::optional<Job> stored, store_.GetJob(id));
    if (!stored) return NotFound("job " + std::to_string(id.value) + " not found");
    job = std::move(*stored);
  }
  // Another user's job is reported as missing: its existence is not theirs to know.
  if (!caller.is_admin() && job.owner != caller.id)
    return NotFound("job " + std::to_string(id.value) + " not found");
  return job;
}

Result<Job> JobController::Get(const Caller& caller, JobId id) { return Visible(caller, id); }

std::vector<Job> JobController::ActiveOf(const std::vector<JobId>& jobs) const {
  std::vector<Job> out;
  for (JobId id : jobs) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    out.push_back(it->second.job);
    LiveReason(out.back());
  }
  return out;
}

Result<store::JobPage> JobController::List(const Caller& caller, store::JobQuery query) {
  if (!caller.is_admin()) {
    if (query.owner && *query.owner != caller.id)
      return Status(StatusCode::kPermissionDenied, "only admins may list other users' jobs",
                    "owner");
    query.owner = caller.id;
  }
  CORRAL_ASSIGN_OR_RETURN(store::JobPage page, store_.ListJobs(query));
  for (Job& j : page.jobs) {
    auto it = active_.find(j.id);
    if (it != active_.end()) {
      j = it->second.job;
      LiveReason(j);
    }
  }
  return page;
}

Result<Job> JobController::Cancel(const Caller& caller, JobId id) {
  CORRAL_ASSIGN_OR_RETURN(Job visible, Visible(caller, id));
  auto it = active_.find(id);
  if (it == active_.end() || IsTerminal(visible.state)) {
    return Status(StatusCode::kFailedPrecondition,
                  "job " + std::to_string(id.value) + " already ended (" +
                      std::string(JobStateName(visible.state)) + ")");
  }
  ActiveJob& active = it->second;
  Job& job = active.job;
  if (job.state == JobState::kPending || job.state == JobState::kPreempted) {
    scheduler_->OnFinished(id, clock_.Now());
    Job out = job;
    EndJob(active, JobState::kCancelled, "cancelled by " + caller.name);
    CORRAL_ASSIGN_OR_RETURN(std::optional<Job> stored, store_.GetJob(id));
    return stored ? *stored : out;
  }
  if (!job.cancel_requested) {
    job.cancel_requested = true;
    job.reason = "cancelling (requested by " + caller.name + ")";
    CORRAL_RETURN_IF_ERROR(Persist(job));
    Emit(job, JobEventKind::kCancelRequested, caller.name);
    executor_.Terminate(id, job.attempts.back().number, options_.default_kill_grace);
  }
  return job;
}

Result<std::string> JobController::LogPath(const Caller& caller, JobId id,
                                           std::optional<int> attempt, int replica) {
  CORRAL_ASSIGN_OR_RETURN(Job job, Visible(caller, id));
  if (job.attempts.empty()) return std::string();
  const Attempt* a = &job.attempts.back();
  if (attempt) {
    a = nullptr;
    for (auto& at : job.attempts)
      if (at.number == *attempt) a = &at;
    if (!a) return InvalidArgument("attempt", "job has no attempt " + std::to_string(*attempt));
  }
  if (replica < 0 || replica >= job.spec.replicas)
    return InvalidArgument("replica",
                           "job has replicas 0.." + std::to_string(job.spec.replicas - 1));
  return executor_.LogPath({id, a->number, replica});
}

Result<std::unique_ptr<exec::LogSource>> JobController::OpenLog(const Caller& caller, JobId id,
                                                                std::optional<int> attempt,
                                                                int replica) {
  CORRAL_ASSIGN_OR_RETURN(Job job, Visible(caller, id));
  if (job.attempts.empty()) return std::unique_ptr<exec::LogSource>();
  int number = job.attempts.back().number;
  if (attempt) {
    if (*attempt < 1 || *attempt > number)
      return InvalidArgument("attempt", "job has no attempt " + std::to_string(*attempt));
    number = *attempt;
  }
  if (replica < 0 || replica >= job.spec.replicas)
    return InvalidArgument("replica",
                           "job has replicas 0.." + std::to_string(job.spec.replicas - 1));
  return executor_.OpenLog({id, number, replica});
}

std::vector<NodeView> JobController::Nodes() const {
  std::vector<NodeView> out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto& n = nodes_[i];
    NodeView v{n.name,      n.address, node_up_[i],           n.simulated,         n.cpus,
               n.memory_mb, {},        options_.job_accounts, options_.containment};
    for (auto& g : n.gpus) v.gpus.push_back({g, std::nullopt, ""});
    out.push_back(std::move(v));
  }
  for (auto& [id, active] : active_) {
    const Job& job = active.job;
    if (job.state != JobState::kStarting && job.state != JobState::kRunning) continue;
    if (job.attempts.empty()) continue;
    for (auto& r : job.attempts.back().replicas) {
      if (r.state == ReplicaState::kExited) continue;
      int idx = NodeIndex(r.placement.node);
      if (idx < 0) continue;
      for (int g : r.placement.gpus) {
        for (auto& use : out[idx].gpus) {
          if (use.device.index == g) {
            use.job = id;
            use.user = job.owner_name;
          }
        }
      }
    }
  }
  return out;
}

Result<exec::LaunchSpec> JobController::LaunchFor(const Job& job) {
  const Attempt& attempt = job.attempts.back();
  exec::LaunchSpec spec;
  spec.job = job.id;
  spec.attempt = attempt.number;
  spec.user = job.owner_name;
  if (options_.account_for) {
    CORRAL_ASSIGN_OR_RETURN(std::optional<User> owner, store_.FindUserById(job.owner));
    // Job history outlives accounts: a deleted user still has a name to map.
    User user = owner ? *owner : User{job.owner, job.owner_name, Role::kUser, {}, ""};
    CORRAL_ASSIGN_OR_RETURN(spec.run_as, options_.account_for(user));
  }
  spec.cpus = job.spec.resources.cpus;
  spec.memory_mb = job.spec.resources.memory_mb;
  spec.argv = job.spec.command;
  spec.script = job.spec.script;
  spec.env = job.spec.env;
  // Secrets join here, at launch only: they never reach the stored spec.
  for (LaunchEnvProvider* provider : env_providers_) provider->AddLaunchEnv(job, spec.env);
  spec.workdir = job.spec.workdir;
  spec.time_limit = job.spec.time_limit;
  spec.kill_grace = options_.default_kill_grace;
  std::vector<PlacedReplica> placed;
  for (const ReplicaRun& r : attempt.replicas) {
    int idx = NodeIndex(r.placement.node);
    placed.push_back({r.placement.node, idx < 0 ? std::string(gpu::kLoopbackAddress)
                                                : nodes_[static_cast<size_t>(idx)].address});
  }
  // Rendezvous for distributed training: rank 0's node is the master.
  auto rendezvous = RendezvousEnv(placed, RendezvousPort(job.id, attempt.number));
  for (size_t i = 0; i < attempt.replicas.size(); ++i) {
    const ReplicaRun& r = attempt.replicas[i];
    exec::ReplicaLaunch rl;
    rl.index = r.index;
    rl.node = r.placement.node;
    rl.address = placed[i].address;
    rl.gpus = r.placement.gpus;
    rl.env = std::move(rendezvous[i]);
    // A spec's own torchrun settings (elastic rendezvous) win over the defaults.
    for (const auto& [k, v] : job.spec.env)
      if (k.rfind("PET_", 0) == 0) rl.env.erase(k);
    spec.replicas.push_back(std::move(rl));
  }
  return spec;
}

Status JobController::SchedulePass() {
  pass_wanted_ = false;
  TimePoint now = clock_.Now();
  sched::DecisionBatch batch = scheduler_->Schedule(now);
  std::vector<JobId> to_launch;
  for (auto& start : batch.starts) {
    auto it = active_.find(start.job);
    if (it == active_.end()) {
      log::Error("scheduler started unknown job {}", start.job.value);
      scheduler_->OnFinished(start.job, now);
      continue;
    }
    Job& job = it->second.job;
    Attempt attempt;
    attempt.number = job.attempts.empty() ? 1 : job.attempts.back().number + 1;
    for (size_t i = 0; i < start.placement.size(); ++i) {
      ReplicaRun run;
      run.index = static_cast<int>(i);
      run.placement.node = nodes_.at(start.placement[i].node).name;
      run.placement.gpus = start.placement[i].gpus;
      attempt.replicas.push_back(std::move(run));
    }
    job.attempts.push_back(std::move(attempt));
    job.state = JobState::kStarting;
    job.reason.clear();
    it->second.preempting = false;
    it->second.timed_out = false;
    it->second.lost_node.clear();
    CORRAL_RETURN_IF_ERROR(Persist(job));
    Emit(job, JobEventKind::kScheduled, "attempt " + std::to_string(job.attempts.back().number));
    to_launch.push_back(job.id);
  }
  for (auto& p : batch.preemptions) {
    auto it = active_.find(p.job);
    if (it == active_.end() || it->second.job.attempts.empty()) continue;
    it->second.preempting = true;
    Emit(it->second.job, JobEventKind::kPreempting, p.reason);
    executor_.Terminate(p.job, it->second.job.attempts.back().number, p.grace);
  }
  if (to_launch.empty()) return Status::Ok();
  // The decisions must be durable before any process exists: a crash between the two must not
  // leave a running process the store does not know about.
  CORRAL_RETURN_IF_ERROR(store_.Flush());
  for (JobId id : to_launch) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    Result<exec::LaunchSpec> spec = LaunchFor(it->second.job);
    if (!spec.ok()) {
      FailLaunch(id, spec.status().message());
      continue;
    }
    executor_.Launch(*spec);
  }
  return Status::Ok();
}

void JobController::FailLaunch(JobId id, const std::string& message) {
  auto it = active_.find(id);
  if (it == active_.end() || it->second.job.attempts.empty()) return;
  const int attempt = it->second.job.attempts.back().number;
  const int replicas = static_cast<int>(it->second.job.attempts.back().replicas.size());
  for (int i = 0; i < replicas; ++i) {
    // The attempt may end (and the job leave active_) with the last replica.
    if (active_.count(id) == 0) return;
    exec::ExecEvent ev;
    ev.kind = exec::ExecEvent::Kind::kLaunchFailed;
    ev.ref = {id, attempt, i};
    ev.time = clock_.Now();
    ev.message = message;
    OnExecEvent(ev);
  }
}

void JobController::OnExecEvent(const exec::ExecEvent& ev) {
  auto it = active_.find(ev.ref.job);
  if (it == active_.end()) return;
  ActiveJob& active = it->second;
  Job& job = active.job;
  if (job.attempts.empty() || job.attempts.back().number != ev.ref.attempt) return;
  Attempt& attempt = job.attempts.back();
  if (ev.ref.replica < 0 || ev.ref.replica >= static_cast<int>(attempt.replicas.size())) return;
  ReplicaRun& replica = attempt.replicas[ev.ref.replica];

  if (ev.placement && !ev.placement->node.empty() && replica.state != ReplicaState::kExited)
    replica.placement.node = ev.placement->node;
  switch (ev.kind) {
    case exec::ExecEvent::Kind::kQueued: {
      if (replica.state != ReplicaState::kStarting || ev.external_id == replica.external_id) return;
      replica.external_id = ev.external_id;
      Status s = Persist(job);
      if (!s.ok()) log::Error("persisting job {}: {}", job.id.value, s.ToString());
      Emit(job, JobEventKind::kReplicaQueued, ev.external_id, {ev.ref.replica, std::nullopt});
      return;
    }
    case exec::ExecEvent::Kind::kStarted: {
      if (replica.state != ReplicaState::kStarting) return;
      replica.state = ReplicaState::kRunning;
      replica.external_id = ev.external_id;
      replica.started_at = ev.time;
      // A single replica's start is the job's: one event says it.
      if (job.spec.replicas > 1)
        Emit(job, JobEventKind::kReplicaStarted, replica.placement.node,
             {ev.ref.replica, std::nullopt});
      if (!ev.containment.empty()) containment_[job.id] = ev.containment;
      bool all_running = std::all_of(attempt.replicas.begin(), attempt.replicas.end(),
                                     [](auto& r) { return r.state != ReplicaState::kStarting; });
      if (all_running && job.state == JobState::kStarting) {
        job.state = JobState::kRunning;
        attempt.started_at = ev.time;
        std::string message = "attempt " + std::to_string(attempt.number);
        if (auto c = containment_.find(job.id); c != containment_.end()) {
          message += "; " + c->second;
          containment_.erase(c);
        }
        Emit(job, JobEventKind::kStarted, message);
      }
      Status s = Persist(job);
      if (!s.ok()) log::Error("persisting job {}: {}", job.id.value, s.ToString());
      return;
    }
    case exec::ExecEvent::Kind::kExited:
    case exec::ExecEvent::Kind::kLaunchFailed:
    case exec::ExecEvent::Kind::kLost: {
      if (replica.state == ReplicaState::kExited) return;
      replica.state = ReplicaState::kExited;
      replica.ended_at = ev.time;
      replica.exit_code = ev.exit_code;
      replica.term_signal = ev.term_signal;
      if (ev.kind == exec::ExecEvent::Kind::kLaunchFailed && !replica.exit_code)
        replica.exit_code = 127;
      if (ev.timed_out) active.timed_out = true;
      if (ev.log_truncated) {
        Emit(job, JobEventKind::kLogTruncated,
             "replica " + std::to_string(ev.ref.replica) +
                 ": output beyond the log limit was discarded");
      }
      if (ev.kind == exec::ExecEvent::Kind::kLost) attempt.end_reason = "lost";
      if (ev.kind == exec::ExecEvent::Kind::kLaunchFailed)
        attempt.end_reason = "launch failed: " + ev.message;
      bool failed = ev.kind != exec::ExecEvent::Kind::kExited || ev.term_signal ||
                    (ev.exit_code && *ev.exit_code != 0);
      bool others_alive = std::any_of(attempt.replicas.begin(), attempt.replicas.end(),
                                      [](auto& r) { return r.state != ReplicaState::kExited; });
      if (failed && others_alive) {
        // A gang fails together: the remaining replicas cannot make progress alone.
        executor_.Terminate(job.id, attempt.number, options_.default_kill_grace);
      }
      if (!others_alive) {
        FinishAttempt(active);
      } else {
        Status s = Persist(job);
        if (!s.ok()) log::Error("persisting job {}: {}", job.id.value, s.ToString());
      }
      return;
    }
  }
}

void JobController::FinishAttempt(ActiveJob& active) {
  Job& job = active.job;
  Attempt& attempt = job.attempts.back();
  TimePoint now = clock_.Now();
  attempt.ended_at = now;
  for (auto& r : attempt.replicas)
    if (r.ended_at && *r.ended_at > *attempt.ended_at) attempt.ended_at = r.ended_at;
  // The attempt's result is its first failing replica's, else success.
  std::optional<int> code = 0;
  std::optional<int> signal;
  for (auto& r : attempt.replicas) {
    if (r.term_signal) {
      signal = r.term_signal;
      code = std::nullopt;
      break;
    }
    if (!r.exit_code) {
      code = std::nullopt;
      break;
    }
    if (*r.exit_code != 0) {
      code = r.exit_code;
      break;
    }
  }
  attempt.exit_code = code ? code : (signal ? std::optional<int>(128 + *signal) : std::nullopt);
  bool success = code && *code == 0 && !signal;
  bool lost = attempt.end_reason == "lost";

  if (job.cancel_requested) {
    attempt.end_reason = "cancelled";
    scheduler_->OnFinished(job.id, now);
    EndJob(active, JobState::kCancelled, "cancelled");
    return;
  }
  if (!active.lost_node.empty()) {
    attempt.end_reason = "node down";
    Interrupted(active, "node " + active.lost_node + " went down");
    return;
  }
  if (active.preempting) {
    attempt.end_reason = "preempted";
    active.preempting = false;
    Interrupted(active, "preempted");
    return;
  }
  if (lost) {
    // The replica never reached a recorded start (the server died while launching): running it
    // again cannot run it twice.
    Requeue(job, "launch interrupted; will start again", JobEventKind::kRequeued,
            "launch interrupted");
    return;
  }
  if (success) {
    attempt.end_reason = "exited";
    scheduler_->OnFinished(job.id, now);
    EndJob(active, JobState::kSucceeded, "");
    return;
  }
  std::string why;
  if (active.timed_out) {
    attempt.end_reason = "time limit";
    why = "time limit exceeded";
  } else if (attempt.end_reason.empty()) {
    attempt.end_reason = "exited";
    why = signal ? "killed by signal " + std::to_string(*signal)
                 : "exited with code " + (code ? std::to_string(*code) : std::string("?"));
  } else {
    why = attempt.end_reason;
  }
  int failures = 0;
  for (auto& a : job.attempts)
    if (a.end_reason != "preempted" && a.end_reason != "lost" && a.end_reason != "node down")
      ++failures;
  const int result = attempt.exit_code.value_or(signal ? 128 + *signal : 1);
  if (!RetryableExitCode(job.spec.retry, result)) {
    scheduler_->OnFinished(job.id, now);
    EndJob(active, JobState::kFailed,
           why + " (exit code " + std::to_string(result) + " is not among retry.exit_codes " +
               job.spec.retry.exit_codes + ")");
    return;
  }
  if (failures <= job.spec.retry.max_retries) {
    Requeue(job,
            why + "; retrying (" + std::to_string(failures) + " of " +
                std::to_string(job.spec.retry.max_retries) + ")",
            JobEventKind::kRetrying, why);
    return;
  }
  scheduler_->OnFinished(job.id, now);
  EndJob(active, JobState::kFailed, why);
}

void JobController::Interrupted(ActiveJob& active, const std::string& reason) {
  Job& job = active.job;
  if (!job.spec.retry.retry_on_preemption) {
    scheduler_->OnFinished(job.id, clock_.Now());
    EndJob(active, JobState::kFailed, reason);
    return;
  }
  // Two steps, both written in this transaction: observers see the attempt end by preemption,
  // then the job wait again.
  job.state = JobState::kPreempted;
  job.reason = reason;
  Status s = Persist(job);
  if (!s.ok()) log::Error("persisting job {}: {}", job.id.value, s.ToString());
  Emit(job, JobEventKind::kPreempted, reason, {std::nullopt, job.attempts.back().exit_code});
  Requeue(job, reason + "; waiting to restart", JobEventKind::kRequeued, reason);
}

void JobController::Requeue(Job& job, const std::string& reason, JobEventKind event,
                            const std::string& message) {
  scheduler_->OnRequeue(job.id, clock_.Now());
  job.state = JobState::kPending;
  job.reason = reason;
  Status s = Persist(job);
  if (!s.ok()) log::Error("persisting job {}: {}", job.id.value, s.ToString());
  std::optional<int> code;
  if (event == JobEventKind::kRetrying && !job.attempts.empty())
    code = job.attempts.back().exit_code;
  Emit(job, event, message, {std::nullopt, code});
  pass_wanted_ = true;
}

void JobController::EndJob(ActiveJob& active, JobState state, const std::string& reason) {
  Job job = std::move(active.job);
  containment_.erase(job.id);
  job.state = state;
  job.reason = reason;
  job.ended_at = clock_.Now();
  active_.erase(job.id);
  Status s = Persist(job);
  if (!s.ok()) log::Error("persisting job {}: {}", job.id.value, s.ToString());
  const JobEventKind kind = state == JobState::kSucceeded   ? JobEventKind::kSucceeded
                            : state == JobState::kCancelled ? JobEventKind::kCancelled
                                                            : JobEventKind::kFailed;
  std::optional<int> code;
  if (!job.attempts.empty()) code = job.attempts.back().exit_code;
  Emit(job, kind, reason, {std::nullopt, code});
  pass_wanted_ = true;
}

void JobController::OnNodeEvent(const exec::NodeEvent& ev) {
  int idx = NodeIndex(ev.node);
  if (ev.kind == exec::NodeEvent::Kind::kUp) {
    if (idx < 0) {
      gpu::NodeInventory node;
      node.name = ev.node;
      node.cpus = ev.cpus;
      node.memory_mb = ev.memory_mb;
      for (int g = 0; g < ev.gpus; ++g) node.gpus.push_back({g, "", "", 0, false});
      if (!ev.address.empty()) node.address = ev.address;
      nodes_.push_back(std::move(node));
      node_up_.push_back(true);
      log::Info("node {} joined ({} GPUs)", ev.node, ev.gpus);
    } else {
      if (!ev.address.empty()) nodes_[static_cast<size_t>(idx)].address = ev.address;
      if (node_up_[static_cast<size_t>(idx)]) return;
      node_up_[static_cast<size_t>(idx)] = true;
      log::Info("node {} is up again", ev.node);
    }
    PushNodes();
    pass_wanted_ = true;
    return;
  }
  if (idx < 0 || !node_up_[static_cast<size_t>(idx)]) return;
  node_up_[static_cast<size_t>(idx)] = false;
  log::Warn("node {} went down{}", ev.node, ev.reason.empty() ? "" : ": " + ev.reason);
  PushNodes();
  pass_wanted_ = true;
  // Every attempt with a replica there ends: its replicas on that node are gone, the others are
  // stopped (a gang cannot go on without a member).
  std::vector<JobId> hit;
  for (auto& [id, active] : active_) {
    const Job& job = active.job;
    if (job.attempts.empty() || job.attempts.back().ended_at) continue;
    if (job.state != JobState::kStarting && job.state != JobState::kRunning) continue;
    for (const auto& r : job.attempts.back().replicas)
      if (r.placement.node == ev.node && r.state != ReplicaState::kExited) hit.push_back(id);
  }
  std::sort(hit.begin(), hit.end(), [](JobId a, JobId b) { return a.value < b.value; });
  hit.erase(std::unique(hit.begin(), hit.end()), hit.end());
  const TimePoint now = clock_.Now();
  for (JobId id : hit) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    ActiveJob& active = it->second;
    Attempt& attempt = active.job.attempts.back();
    active.lost_node = ev.node;
    for (auto& r : attempt.replicas) {
      if (r.placement.node != ev.node || r.state == ReplicaState::kExited) continue;
      r.state = ReplicaState::kExited;
      r.ended_at = now;
    }
    bool others_alive = std::any_of(attempt.replicas.begin(), attempt.replicas.end(),
                                    [](auto& r) { return r.state != ReplicaState::kExited; });
    if (others_alive) {
      executor_.Terminate(id, attempt.number, options_.default_kill_grace);
      Status s = Persist(active.job);
      if (!s.ok()) log::Error("persisting job {}: {}", id.value, s.ToString());
    } else {
      FinishAttempt(active);
    }
  }
}

}  // namespace corral::jobs
