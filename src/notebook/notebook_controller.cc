#include "notebook/notebook_controller.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "model/field_rules.h"
#include "notebook/free_ports.h"
#include "notebook/launch_script.h"
#include "notebook/notebook_state.h"

namespace corral::notebook {

namespace {

constexpr int kMaxGpus = 1024;
constexpr int kListLimit = 1000;
constexpr Duration kShortestCheckInterval{500};
constexpr std::string_view kJobNamePrefix = "notebook-";

bool IsNotebookJob(const std::optional<JobParent>& parent) {
  return parent && parent->kind == ParentKind::kNotebook;
}

}  // namespace

NotebookController::NotebookController(store::Store& store, jobs::JobController& jobs,
                                       const Clock& clock, NotebookControllerOptions options)
    : store_(store), jobs_(jobs), clock_(clock), options_(std::move(options)) {}

jobs::Caller NotebookController::OwnerOf(const Notebook& n) const {
  return jobs::Caller{n.owner, n.owner_name, Role::kUser};
}

Duration NotebookController::IdleTimeoutOf(const Notebook& n) const {
  return n.idle_timeout.count() > 0 ? n.idle_timeout : options_.idle_timeout;
}

Status NotebookController::SetEnvironments(std::map<std::string, std::string> environments) {
  nlohmann::json stored = environments;
  CORRAL_RETURN_IF_ERROR(store_.PutSetting(kEnvironmentsSetting, stored.dump()));
  environments_ = std::move(environments);
  return Status::Ok();
}

Result<SshKey> NotebookController::AddSshKey(UserId user, const std::string& key) {
  SshKey k{0, user, key, clock_.Now()};
  CORRAL_RETURN_IF_ERROR(store_.AddSshKey(k));
  return k;
}

Status NotebookController::Recover() {
  if (auto stored = store_.GetSetting(kEnvironmentsSetting); stored.ok() && *stored) {
    auto parsed = nlohmann::json::parse(**stored, nullptr, false);
    if (parsed.is_object()) {
      for (const auto& [name, prefix] : parsed.items())
        if (prefix.is_string()) environments_[name] = prefix.get<std::string>();
    }
  }
  CORRAL_ASSIGN_OR_RETURN(auto notebooks, store_.ListNotebooks(std::nullopt, true, 1 << 30));
  for (Notebook& n : notebooks) {
    Active& a = active_[n.id];
    a.notebook = std::move(n);
    Notebook& nb = a.notebook;
    if (!nb.job.valid()) {
      CORRAL_RETURN_IF_ERROR(
          End(a, kFailed, "the server stopped before the notebook's job was made"));
      continue;
    }
    by_job_[nb.job] = nb.id;
    auto job = jobs_.Get(OwnerOf(nb), nb.job);
    if (!job.ok()) {
      CORRAL_RETURN_IF_ERROR(End(a, kFailed, "its job is gone: " + job.status().message()));
      continue;
    }
    if (IsTerminal(job->state)) {
      std::string state = nb.state == kCulled                                        ? kCulled
                          : nb.state == kStopping || job->state != JobState::kFailed ? kStopped
                                                                                     : kFailed;
      CORRAL_RETURN_IF_ERROR(End(a, state, nb.state == kCulled ? nb.message : job->reason));
      continue;
    }
    bool running = job->state == JobState::kRunning || job->state == JobState::kStarting;
    if (running && nb.attempt != static_cast<int>(job->attempts.size())) {
      // The attempt's ports were chosen but not stored before the server stopped.
      nb.state = kStopping;
      nb.message = "lost track of the running server's ports; stopping it";
      CORRAL_RETURN_IF_ERROR(Persist(a));
      (void)jobs_.Cancel(OwnerOf(nb), nb.job);
      continue;
    }
    Publish(a);
    if (running && nb.port > 0 && nb.state != kStopping && nb.state != kCulled && watch_) {
      watch_(ProbeTarget{nb.id, nb.attempt, nb.port, fmt::format("/nb/{}/", nb.id.value),
                         options_.token ? options_.token(nb.id) : "",
                         std::min(options_.idle_check_interval,
                                  std::max(kShortestCheckInterval, IdleTimeoutOf(nb) / 4))});
    }
  }
  return Status::Ok();
}

Result<NotebookView> NotebookController::Create(const jobs::Caller& caller,
                                                NotebookRequest request) {
  // Room for the job's name, "notebook-<name>", under the same rule.
  if (!request.name.empty())
    CORRAL_RETURN_IF_ERROR(
        rules::CheckName("name", request.name, rules::kMaxNameBytes - kJobNamePrefix.size()));
  if (request.gpus < 0 || request.gpus > kMaxGpus)
    return InvalidArgument("gpus", fmt::format("must be between 0 and {}", kMaxGpus));
  std::string prefix;
  if (!request.environment.empty()) {
    auto it = environments_.find(request.environment);
    if (it == environments_.end())
      return InvalidArgument("environment",
                             fmt::format("no environment named \"{}\" (GET /api/v1/environments "
                                         "lists them)",
                                         request.environment));
    prefix = it->second;
  }
  // What no node could ever hold is refused before anything is stored.
  int most_gpus = 0;
  for (const jobs::NodeView& node : jobs_.Nodes())
    if (node.up) most_gpus = std::max(most_gpus, static_cast<int>(node.gpus.size()));
  if (request.gpus > most_gpus)
    return Status(StatusCode::kInfeasible,
                  fmt::format("no node has {} GPUs (the most is {})", request.gpus, most_gpus),
                  "gpus");
  if (request.idle_timeout && request.idle_timeout->count() < 1000)
    return InvalidArgument("idle_timeout_s", "must be at least 1 second");
  if (!request.name.empty()) {
    for (const auto& [id, a] : active_) {
      if (a.notebook.owner == caller.id && a.notebook.name == request.name)
        return Status(StatusCode::kAlreadyExists,
                      fmt::format("you already have a notebook named \"{}\" (id {})", request.name,
                                  id.value));
    }
  }
  Notebook n;
  n.owner = caller.id;
  n.owner_name = caller.name;
  n.name = request.name;
  n.state = kStarting;
  n.message = "waiting for GPUs";
  n.gpus = request.gpus;
  n.environment = request.environment;
  n.idle_timeout = request.idle_timeout.value_or(Duration(0));
  n.created_at = clock_.Now();
  CORRAL_RETURN_IF_ERROR(store_.InsertNotebook(n));
  if (n.name.empty()) n.name = fmt::format("nb-{}", n.id.value);

  JobSpec spec;
  spec.name = std::string(kJobNamePrefix) + n.name;
  spec.script = LaunchScript(options_.app);
  spec.resources.gpus = n.gpus;
  spec.priority = PriorityClass::kInteractive;
  spec.env["CORRAL_NB_ID"] = std::to_string(n.id.value);
  if (!prefix.empty()) {
    spec.env["PATH"] = prefix + "/bin:/usr/local/bin:/usr/bin:/bin";
    spec.env["VIRTUAL_ENV"] = prefix;
  }
  Active& a = active_[n.id];
  a.notebook = n;
  auto job =
      jobs_.Submit(caller, std::move(spec), JobParent{ParentKind::kNotebook, n.id.value, ""});
  if (!job.ok()) {
    CORRAL_RETURN_IF_ERROR(End(a, kFailed, job.status().message()));
    return job.status();
  }
  a.notebook.job = job->id;
  by_job_[job->id] = n.id;
  CORRAL_RETURN_IF_ERROR(Persist(a));
  Publish(a);
  return View(a.notebook, std::nullopt);
}

Result<Notebook> NotebookController::Visible(const jobs::Caller& caller, NotebookId id) {
  Notebook n;
  if (auto it = active_.find(id); it != active_.end()) {
    n = it->second.notebook;
  } else {
    CORRAL_ASSIGN_OR_RETURN(auto stored, store_.GetNotebook(id));
    if (!stored) return NotFound(fmt::format("notebook {} not found", id.value));
    n = std::move(*stored);
  }
  // Another user's notebook is reported as missing: its existence is not theirs to know.
  if (!caller.is_admin() && n.owner != caller.id)
    return NotFound(fmt::format("notebook {} not found", id.value));
  return n;
}

NotebookView NotebookController::View(const Notebook& n,
                                      const std::optional<TimePoint>& last_activity) {
  NotebookView v{n, "", last_activity, "", options_.account_of ? options_.account_of(n.owner) : ""};
  if (n.job.valid()) {
    if (auto job = jobs_.Get(OwnerOf(n), n.job); job.ok()) {
      v.job_state = std::string(JobStateName(job->state));
      if (!job->attempts.empty() && !job->attempts.back().replicas.empty())
        v.node = job->attempts.back().replicas[0].placement.node;
      if (job->state == JobState::kPending && n.state == kStarting && !job->reason.empty())
        v.notebook.message = "waiting for GPUs: " + job->reason;
    }
  }
  return v;
}

Result<NotebookView> NotebookController::Get(const jobs::Caller& caller, NotebookId id) {
  CORRAL_ASSIGN_OR_RETURN(Notebook n, Visible(caller, id));
  auto it = active_.find(id);
  return View(n, it == active_.end() ? std::nullopt : it->second.last_activity);
}

Result<std::vector<NotebookView>> NotebookController::List(const jobs::Caller& caller, bool all,
                                                           bool active_only) {
  std::optional<UserId> owner;
  if (!all || !caller.is_admin()) owner = caller.id;
  CORRAL_ASSIGN_OR_RETURN(auto rows, store_.ListNotebooks(owner, active_only, kListLimit));
  std::vector<NotebookView> out;
  for (Notebook& n : rows) {
    auto it = active_.find(n.id);
    if (it != active_.end()) {
      out.push_back(View(it->second.notebook, it->second.last_activity));
    } else {
      out.push_back(View(n, std::nullopt));
    }
  }
  return out;
}

Result<NotebookView> NotebookController::Stop(const jobs::Caller& caller, NotebookId id) {
  CORRAL_ASSIGN_OR_RETURN(Notebook n, Visible(caller, id));
  auto it = active_.find(id);
  if (it == active_.end() || it->second.notebook.state == kStopping ||
      it->second.notebook.state == kCulled)
    return View(n, std::nullopt);
  Active& a = it->second;
  a.notebook.state = kStopping;
  a.notebook.message = "stopped by " + caller.name;
  CORRAL_RETURN_IF_ERROR(Persist(a));
  Publish(a);
  if (forget_) forget_(id);
  auto cancelled = jobs_.Cancel(OwnerOf(a.notebook), a.notebook.job);
  if (!cancelled.ok() || IsTerminal(cancelled->state)) {
    NotebookView v = View(a.notebook, a.last_activity);
    CORRAL_RETURN_IF_ERROR(End(a, kStopped, v.notebook.message));
    v.notebook.state = kStopped;
    return v;
  }
  return View(a.notebook, a.last_activity);
}

void NotebookController::OnJobEvent(const jobs::JobEvent& event) {
  if (!IsNotebookJob(event.parent) || !by_job_.count(event.job)) return;
  job_events_.push_back(event);
  if (wake_ && !wake_pending_) {
    wake_pending_ = true;
    wake_();
  }
}

void NotebookController::Tick() {
  wake_pending_ = false;
  auto events = std::move(job_events_);
  job_events_.clear();
  for (const jobs::JobEvent& e : events) ApplyJobEvent(e);
}

void NotebookController::ApplyJobEvent(const jobs::JobEvent& e) {
  auto by = by_job_.find(e.job);
  if (by == by_job_.end()) return;
  auto it = active_.find(by->second);
  if (it == active_.end()) return;
  Active& a = it->second;
  Notebook& n = a.notebook;
  Status s = Status::Ok();
  switch (e.kind) {
    case jobs::JobEventKind::kStarted:
      if (n.state == kStarting) {
        n.message = "waiting for Jupyter to answer";
        s = Persist(a);
      }
      break;
    case jobs::JobEventKind::kPreempted:
    case jobs::JobEventKind::kRequeued:
    case jobs::JobEventKind::kRetrying:
      if (n.state == kStarting || n.state == kReady) {
        n.state = kStarting;
        n.ready_at.reset();
        n.message = "interrupted (" + e.reason + "); waiting for GPUs";
        if (forget_) forget_(n.id);
        s = Persist(a);
        Publish(a);
      }
      break;
    case jobs::JobEventKind::kSucceeded:
    case jobs::JobEventKind::kFailed:
    case jobs::JobEventKind::kCancelled: {
      std::string state = n.state == kCulled                                              ? kCulled
                          : n.state == kStopping || e.kind != jobs::JobEventKind::kFailed ? kStopped
                                                                                          : kFailed;
      std::string message = state == kFailed ? "the notebook's job failed: " + e.reason
                            : state == kStopped && n.state != kStopping
                                ? "the Jupyter server exited"
                                : n.message;
      s = End(a, state, message);
      break;
    }
    default:
      break;
  }
  if (!s.ok()) log::Error("notebook {}: {}", n.id.value, s.ToString());
}

void NotebookController::AddLaunchEnv(const Job& job, std::map<std::string, std::string>& env) {
  if (!IsNotebookJob(job.parent)) {
    // Any job may run in a named environment by its label; what its spec sets wins.
    auto label = job.spec.labels.find(kEnvironmentLabel);
    if (label == job.spec.labels.end()) return;
    auto prefix = environments_.find(label->second);
    if (prefix == environments_.end()) return;
    env.emplace("PATH", prefix->second + "/bin:/usr/local/bin:/usr/bin:/bin");
    env.emplace("VIRTUAL_ENV", prefix->second);
    return;
  }
  auto it = active_.find(NotebookId(job.parent->id));
  if (it == active_.end()) return;
  Active& a = it->second;
  Notebook& n = a.notebook;
  auto ports = FreeLoopbackPorts(2);
  if (!ports.ok()) {
    log::Error("notebook {}: {}", n.id.value, ports.status().ToString());
    return;  // the server does not start without a port and the job fails
  }
  n.attempt = job.attempts.empty() ? 1 : job.attempts.back().number;
  n.port = (*ports)[0];
  n.ssh_port = (*ports)[1];
  n.state = kStarting;
  n.message = "starting Jupyter";
  if (Status s = Persist(a); !s.ok()) log::Error("notebook {}: {}", n.id.value, s.ToString());
  std::string token = options_.token ? options_.token(n.id) : "";
  env["JUPYTER_TOKEN"] = token;
  env["CORRAL_NB_PORT"] = std::to_string(n.port);
  env["CORRAL_NB_SSH_PORT"] = std::to_string(n.ssh_port);
  std::string keys;
  if (auto stored = store_.ListSshKeys(n.owner); stored.ok()) {
    for (const SshKey& k : *stored) keys += k.key + "\n";
  }
  env["CORRAL_NB_KEYS"] = keys;
  Publish(a);
  if (watch_) {
    watch_(ProbeTarget{n.id, n.attempt, n.port, fmt::format("/nb/{}/", n.id.value), token,
                       std::min(options_.idle_check_interval,
                                std::max(kShortestCheckInterval, IdleTimeoutOf(n) / 4))});
  }
}

void NotebookController::OnProbe(const ProbeResult& r) {
  auto it = active_.find(r.id);
  if (it == active_.end()) return;
  Active& a = it->second;
  Notebook& n = a.notebook;
  if (n.attempt != r.attempt) return;
  TimePoint now = clock_.Now();
  if (r.first_answer) {
    if (n.state != kStarting) return;
    n.state = kReady;
    n.message = "";
    n.ready_at = now;
    log::Info("notebook {} ready {} ms after it was asked for", n.id.value,
              (now - n.created_at).count());
    if (Status s = Persist(a); !s.ok()) log::Error("notebook {}: {}", n.id.value, s.ToString());
    Publish(a);
    return;
  }
  if (!r.activity) {
    log::Debug("notebook {}: idle check: {}", n.id.value, r.error);
    return;
  }
  if (r.activity->last_activity) a.last_activity = r.activity->last_activity;
  if (n.state != kReady || !n.ready_at) return;
  CullDecision d = DecideCull(*r.activity, *n.ready_at, now, IdleTimeoutOf(n));
  if (!d.cull) return;
  log::Info("notebook {} culled: {}", n.id.value, d.reason);
  n.state = kCulled;
  n.message = "culled: " + d.reason;
  if (Status s = Persist(a); !s.ok()) log::Error("notebook {}: {}", n.id.value, s.ToString());
  Publish(a);
  if (forget_) forget_(n.id);
  auto cancelled = jobs_.Cancel(OwnerOf(n), n.job);
  if (!cancelled.ok()) log::Error("notebook {}: {}", n.id.value, cancelled.status().ToString());
}

Status NotebookController::Persist(Active& a) { return store_.UpdateNotebook(a.notebook); }

void NotebookController::Publish(const Active& a) {
  const Notebook& n = a.notebook;
  directory_.Put(NotebookRoute{n.id, n.owner, n.state, n.port, n.ssh_port,
                               options_.token ? options_.token(n.id) : ""});
}

Status NotebookController::End(Active& a, const std::string& state, const std::string& message) {
  Notebook& n = a.notebook;
  n.state = state;
  n.message = message;
  n.ended_at = clock_.Now();
  NotebookId id = n.id;
  Status s = Persist(a);
  directory_.Remove(id);
  if (forget_) forget_(id);
  by_job_.erase(n.job);
  active_.erase(id);
  return s;
}

}  // namespace corral::notebook
