#include "jobs/job_controller.h"

#include <algorithm>

#include "common/log.h"

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
      options_(options) {
  std::vector<sched::NodeInfo> infos;
  for (auto& n : nodes_) {
    infos.push_back({n.name, static_cast<int>(n.gpus.size()), n.cpus, n.memory_mb, true});
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

void JobController::Emit(const Job& job, const std::string& type, const std::string& message) {
  store::StoredEvent ev;
  ev.time = clock_.Now();
  ev.job = job.id;
  ev.owner = job.owner;
  ev.type = type;
  ev.message = message;
  auto seq = store_.AppendEvent(ev);
  if (!seq.ok()) {
    log::Error("recording event for job {}: {}", job.id.value, seq.status().ToString());
    return;
  }
  ev.seq = *seq;
  for (auto& listener : listeners_) listener(ev);
}

Status JobController::Recover() {
  CORRAL_ASSIGN_OR_RETURN(std::vector<Job> jobs, store_.LoadActiveJobs());
  TimePoint now = clock_.Now();
  for (Job& job : jobs) {
    ActiveJob active{std::move(job)};
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
        Emit(j, "failed", j.reason);
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

Result<Job> JobController::Submit(const Caller& caller, JobSpec spec) {
  Job job;
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
  Emit(job, "submitted", "");
  active_.emplace(job.id, ActiveJob{job});
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

Result<Job> JobController::Visible(const Caller& caller, JobId id) {
  auto it = active_.find(id);
  Job job;
  if (it != active_.end()) {
    job = it->second.job;
    if (job.state == JobState::kPending) job.reason = scheduler_->PendingReason(id);
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
      if (j.state == JobState::kPending) j.reason = scheduler_->PendingReason(j.id);
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
    Emit(job, "cancel_requested", caller.name);
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

std::vector<NodeView> JobController::Nodes() const {
  std::vector<NodeView> out;
  for (auto& n : nodes_) {
    NodeView v{
        n.name, n.simulated, n.cpus, n.memory_mb, {}, options_.job_accounts, options_.containment};
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
  spec.workdir = job.spec.workdir;
  spec.time_limit = job.spec.time_limit;
  spec.kill_grace = options_.default_kill_grace;
  std::string first_node = attempt.replicas.empty() ? "" : attempt.replicas[0].placement.node;
  for (const ReplicaRun& r : attempt.replicas) {
    exec::ReplicaLaunch rl;
    rl.index = r.index;
    rl.node = r.placement.node;
    rl.gpus = r.placement.gpus;
    // Rendezvous for distributed training: rank 0's node is the master. On simulated nodes all
    // replicas share this host, so the address is the loopback one.
    rl.env["RANK"] = std::to_string(r.index);
    rl.env["NODE_RANK"] = std::to_string(r.index);
    rl.env["LOCAL_RANK"] = "0";
    rl.env["WORLD_SIZE"] = std::to_string(job.spec.replicas);
    rl.env["MASTER_ADDR"] = "127.0.0.1";
    rl.env["MASTER_PORT"] = std::to_string(29500 + static_cast<int>(job.id.value % 20000));
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
    CORRAL_RETURN_IF_ERROR(Persist(job));
    Emit(job, "scheduled", "attempt " + std::to_string(job.attempts.back().number));
    to_launch.push_back(job.id);
  }
  for (auto& p : batch.preemptions) {
    auto it = active_.find(p.job);
    if (it == active_.end() || it->second.job.attempts.empty()) continue;
    it->second.preempting = true;
    Emit(it->second.job, "preempting", p.reason);
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

  switch (ev.kind) {
    case exec::ExecEvent::Kind::kStarted: {
      if (replica.state != ReplicaState::kStarting) return;
      replica.state = ReplicaState::kRunning;
      replica.external_id = ev.external_id;
      replica.started_at = ev.time;
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
        Emit(job, "started", message);
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
        Emit(job, "log_truncated",
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
  if (active.preempting) {
    attempt.end_reason = "preempted";
    active.preempting = false;
    Requeue(job, "preempted; waiting to restart", "preempted", "");
    return;
  }
  if (lost) {
    // The replica never reached a recorded start (the server died while launching): running it
    // again cannot run it twice.
    Requeue(job, "launch interrupted; will start again", "requeued", "launch interrupted");
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
    if (a.end_reason != "preempted" && a.end_reason != "lost") ++failures;
  if (failures <= job.spec.retry.max_retries) {
    Requeue(job,
            why + "; retrying (" + std::to_string(failures) + " of " +
                std::to_string(job.spec.retry.max_retries) + ")",
            "retrying", why);
    return;
  }
  scheduler_->OnFinished(job.id, now);
  EndJob(active, JobState::kFailed, why);
}

void JobController::Requeue(Job& job, const std::string& reason, const std::string& event,
                            const std::string& message) {
  scheduler_->OnRequeue(job.id, clock_.Now());
  job.state = JobState::kPending;
  job.reason = reason;
  Status s = Persist(job);
  if (!s.ok()) log::Error("persisting job {}: {}", job.id.value, s.ToString());
  Emit(job, event, message);
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
  Emit(job, std::string(JobStateName(state)), reason);
  pass_wanted_ = true;
}

}  // namespace corral::jobs
