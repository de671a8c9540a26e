#include "workflow_runner/workflow_controller.h"

#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <random>

#include "common/log.h"
#include "model/field_rules.h"
#include "workflow/spec_check.h"

namespace corral::workflow_runner {

using nlohmann::json;
using workflow::Node;
using workflow::WorkflowEngine;

struct WorkflowController::Active {
  WorkflowRow row;
  jobs::Caller owner;
  std::optional<User> user;
  std::unique_ptr<WorkflowEngine> engine;
  bool touched = false;
};

namespace {

constexpr int kMaxRounds = 8;

std::string RandomSuffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < 5; ++i) s += alphabet[rng() % 27];
  return s;
}

std::string ProgressText(const WorkflowEngine& e) {
  auto [done, total] = e.Progress();
  return std::to_string(done) + "/" + std::to_string(total);
}

}  // namespace

json EngineSpec(const json& doc, const json& refs) {
  json spec = doc.value("spec", json::object());
  if (spec.contains("workflowTemplateRef")) {
    const json& ref = spec["workflowTemplateRef"];
    std::string key = std::string(ref.value("clusterScope", false) ? "ClusterWorkflowTemplate/"
                                                                   : "WorkflowTemplate/") +
                      ref.value("name", std::string());
    json base = refs.contains(key) ? refs[key] : json::object();
    json own = spec;
    own.erase("workflowTemplateRef");
    // Arguments merge by name, the Workflow's own winning.
    json params = base.contains("arguments") ? base["arguments"].value("parameters", json::array())
                                             : json::array();
    if (own.contains("arguments") && own["arguments"].contains("parameters")) {
      for (const auto& p : own["arguments"]["parameters"]) {
        bool replaced = false;
        for (auto& q : params)
          if (q.value("name", std::string()) == p.value("name", std::string())) {
            q = p;
            replaced = true;
          }
        if (!replaced) params.push_back(p);
      }
    }
    base.merge_patch(own);
    if (!params.empty()) base["arguments"]["parameters"] = params;
    spec = std::move(base);
  }
  if (doc.contains("metadata")) {
    json meta = json::object();
    for (const char* k : {"labels", "annotations"})
      if (doc["metadata"].contains(k)) meta[k] = doc["metadata"][k];
    spec["x-metadata"] = meta;
  }
  return spec;
}

WorkflowController::WorkflowController(store::Store& store, jobs::JobController& jobs,
                                       const Clock& clock, ImageMap images,
                                       WorkflowControllerOptions options)
    : store_(store),
      jobs_(jobs),
      clock_(clock),
      images_(std::move(images)),
      options_(std::move(options)) {}

WorkflowController::~WorkflowController() = default;

std::string WorkflowController::StepDir(int64_t workflow, const std::string& node_id) const {
  return options_.steps_root + "/" + std::to_string(workflow) + "/" + node_id;
}

Result<std::unique_ptr<WorkflowController::Active>> WorkflowController::Load(
    const WorkflowRow& row) {
  auto a = std::make_unique<Active>();
  a->row = row;
  json doc = json::parse(row.spec, nullptr, false);
  json state = json::parse(row.state, nullptr, false);
  if (doc.is_discarded() || state.is_discarded())
    return Internal(fmt::format("workflow {}: stored spec or state is not JSON", row.id));
  json refs = state.value("refs", json::object());
  a->engine =
      std::make_unique<WorkflowEngine>(row.name, EngineSpec(doc, refs), refs, row.created_at);
  CORRAL_ASSIGN_OR_RETURN(auto rows, store_.ListWorkflowNodes(row.id));
  std::vector<Node> nodes;
  nodes.reserve(rows.size());
  for (const auto& r : rows) {
    json j = json::parse(r.data, nullptr, false);
    if (j.is_discarded()) return Internal("stored workflow node is not JSON");
    CORRAL_ASSIGN_OR_RETURN(Node n, workflow::NodeFromJson(j));
    nodes.push_back(std::move(n));
  }
  // Children in creation order: the stored rows come back by name.
  CORRAL_RETURN_IF_ERROR(a->engine->Restore(state, std::move(nodes)));
  CORRAL_ASSIGN_OR_RETURN(auto user, store_.FindUserById(row.owner));
  a->owner.id = row.owner;
  if (user) {
    a->owner.name = user->name;
    a->owner.role = user->role;
  }
  a->user = user;
  return a;
}

Status WorkflowController::Recover() {
  CORRAL_ASSIGN_OR_RETURN(auto rows, store_.LoadActiveWorkflows());
  jobs::Caller admin{UserId(0), "corral", Role::kAdmin};
  for (const auto& row : rows) {
    auto loaded = Load(row);
    if (!loaded.ok()) {
      log::Warn("workflow {}: {}", row.id, loaded.status().ToString());
      continue;
    }
    auto a = std::move(*loaded);
    // What happened to step jobs while no one listened.
    for (const auto& n : a->engine->nodes()) {
      if (n->type != workflow::NodeType::kPod || workflow::IsDone(n->phase) || !n->job_id) continue;
      auto job = jobs_.Get(admin, JobId(*n->job_id));
      if (!job.ok()) continue;
      if (job->state == JobState::kRunning) a->engine->OnPodStarted(n->id, clock_.Now());
      if (IsTerminal(job->state)) {
        int code = -1;
        if (!job->attempts.empty() && job->attempts.back().exit_code)
          code = *job->attempts.back().exit_code;
        workflow::PodExit exit = ReadStepExit(StepDir(row.id, n->id), code);
        if (job->state == JobState::kCancelled) exit.cancelled = true;
        if (job->state == JobState::kFailed && code < 0) exit.message = job->reason;
        a->engine->OnPodExited(n->id, exit, job->ended_at.value_or(clock_.Now()));
      }
    }
    int64_t id = row.id;
    active_[id] = std::move(a);
    CORRAL_RETURN_IF_ERROR(Advance(*active_[id]));
  }
  UpdateTimer();
  return Status::Ok();
}

Result<json> WorkflowController::CollectRefs(const json& spec) {
  json refs = json::object();
  std::vector<std::pair<std::string, std::string>> todo = workflow::TemplateRefs(spec);
  if (spec.contains("workflowTemplateRef")) {
    const json& r = spec["workflowTemplateRef"];
    todo.insert(todo.begin(),
                {r.value("clusterScope", false) ? "ClusterWorkflowTemplate" : "WorkflowTemplate",
                 r.value("name", std::string())});
  }
  while (!todo.empty()) {
    auto [kind, name] = todo.back();
    todo.pop_back();
    std::string key = kind + "/" + name;
    if (refs.contains(key)) continue;
    CORRAL_ASSIGN_OR_RETURN(auto row, store_.GetWorkflowTemplate(kind, name));
    if (!row)
      return InvalidArgument("spec",
                             "references " + kind + " '" + name +
                                 "', which is not registered (POST /api/v1/workflow-templates)");
    json doc = json::parse(row->spec, nullptr, false);
    json tspec = doc.value("spec", json::object());
    refs[key] = tspec;
    for (auto& more : workflow::TemplateRefs(tspec)) todo.push_back(more);
  }
  return refs;
}

Result<CreatedWorkflow> WorkflowController::Create(const jobs::Caller& caller, const json& doc) {
  CORRAL_ASSIGN_OR_RETURN(auto warnings, workflow::CheckDocument(doc));
  std::string kind = doc.value("kind", std::string("Workflow"));
  if (kind != "Workflow")
    return InvalidArgument(
        "kind", "submit a Workflow here; " + kind + "s go to /api/v1/workflow-templates");
  const json& spec = doc["spec"];
  CORRAL_ASSIGN_OR_RETURN(json refs, CollectRefs(spec));
  json meta = doc.value("metadata", json::object());
  std::string name = meta.value("name", std::string());
  if (name.empty()) {
    std::string prefix = meta.value("generateName", std::string("workflow-"));
    name = prefix + RandomSuffix();
  }
  if (auto s = rules::CheckName("metadata.name", name, 200); !s.ok()) {
    // Argo names are DNS labels; ours must be job-name safe as well.
    std::string clean;
    for (char c : name) clean += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '-';
    name = clean;
  }
  WorkflowRow row;
  row.name = name;
  row.owner = caller.id;
  row.phase = "Pending";
  row.spec = doc.dump();
  row.created_at = clock_.Now();
  auto a = std::make_unique<Active>();
  a->owner = caller;
  CORRAL_ASSIGN_OR_RETURN(a->user, store_.FindUserById(caller.id));
  a->engine = std::make_unique<WorkflowEngine>(name, EngineSpec(doc, refs), refs, row.created_at);
  row.state = a->engine->StateJson().dump();
  CORRAL_RETURN_IF_ERROR(store_.InsertWorkflow(row));
  a->row = row;
  int64_t id = row.id;
  Active& ref = *a;
  active_[id] = std::move(a);
  CORRAL_RETURN_IF_ERROR(Advance(ref));
  UpdateTimer();
  return CreatedWorkflow{id, name, warnings};
}

Status WorkflowController::Advance(Active& a) {
  WorkflowEngine& e = *a.engine;
  for (int round = 0; round < kMaxRounds; ++round) {
    auto actions = e.Operate(clock_.Now(), *this);
    if (actions.empty()) break;
    bool again = false;
    for (auto& act : actions) {
      if (act.kind == workflow::Action::Kind::kCancelPod) {
        (void)jobs_.Cancel(a.owner, JobId(act.job_id));
        continue;
      }
      std::string dir = StepDir(a.row.id, act.pod.node_id);
      StepSandbox sandbox{options_.bwrap, options_.steps_root, options_.artifact_dir,
                          options_.root_binds, StepOwner(a)};
      auto spec = PrepareStep(act.pod, dir, images_, sandbox);
      Result<Job> job =
          spec.ok() ? jobs_.Submit(a.owner, std::move(*spec),
                                   JobParent{ParentKind::kWorkflow, a.row.id, act.pod.node_id})
                    : Result<Job>(spec.status());
      if (job.ok()) {
        e.OnPodJob(act.pod.node_id, job->id.value);
      } else {
        workflow::PodExit exit;
        exit.exit_code = -1;
        exit.message = "cannot start: " + job.status().message();
        e.OnPodExited(act.pod.node_id, exit, clock_.Now());
        again = true;
      }
    }
    if (!again) break;
  }
  return Persist(a);
}

std::optional<std::pair<uint32_t, uint32_t>> WorkflowController::StepOwner(const Active& a) {
  if (!options_.account_for || ::geteuid() != 0) return std::nullopt;
  User user;
  if (a.user) {
    user = *a.user;
  } else {
    user.id = a.owner.id;
    user.name = a.owner.name;
    user.role = a.owner.role;
  }
  auto account = options_.account_for(user);
  if (!account.ok() || account->uid == 0) return std::nullopt;
  return std::make_pair(account->uid, account->gid);
}

Status WorkflowController::Persist(Active& a) {
  WorkflowEngine& e = *a.engine;
  auto dirty = e.TakeDirty();
  if (!dirty.empty()) {
    std::vector<WorkflowNodeRow> rows;
    rows.reserve(dirty.size());
    for (const Node* n : dirty) rows.push_back({n->name, workflow::NodeToJson(*n).dump()});
    CORRAL_RETURN_IF_ERROR(store_.PutWorkflowNodes(a.row.id, rows));
  }
  auto removed = e.TakeRemoved();
  CORRAL_RETURN_IF_ERROR(store_.DeleteWorkflowNodes(a.row.id, removed));
  bool state = e.TakeStateDirty();
  std::string progress = ProgressText(e);
  if (state || !dirty.empty() || !removed.empty()) {
    json st = e.StateJson();
    st["progress"] = progress;
    a.row.phase = std::string(workflow::RunPhaseName(e.phase()));
    a.row.message = e.message();
    a.row.state = st.dump();
    a.row.started_at = e.started_at();
    a.row.finished_at = e.finished_at();
    CORRAL_RETURN_IF_ERROR(store_.UpdateWorkflow(a.row));
  }
  return Status::Ok();
}

void WorkflowController::OnJobEvent(const jobs::JobEvent& event) {
  if (!event.parent || event.parent->kind != ParentKind::kWorkflow) return;
  switch (event.kind) {
    case jobs::JobEventKind::kStarted:
    case jobs::JobEventKind::kSucceeded:
    case jobs::JobEventKind::kFailed:
    case jobs::JobEventKind::kCancelled:
      break;
    default:
      return;
  }
  job_events_.push_back(event);
  if (wake_ && !wake_pending_) {
    wake_pending_ = true;
    wake_();
  }
}

void WorkflowController::Tick() {
  wake_pending_ = false;
  std::vector<jobs::JobEvent> events;
  events.swap(job_events_);
  TimePoint now = clock_.Now();
  for (const auto& ev : events) {
    auto it = active_.find(ev.parent->id);
    if (it == active_.end()) continue;
    Active& a = *it->second;
    const std::string& node = ev.parent->child_key;
    if (ev.kind == jobs::JobEventKind::kStarted) {
      a.engine->OnPodStarted(node, ev.time);
    } else {
      int code = ev.exit_code.value_or(-1);
      workflow::PodExit exit = ReadStepExit(StepDir(a.row.id, node), code);
      if (ev.kind == jobs::JobEventKind::kCancelled) {
        exit.cancelled = true;
      } else if (ev.reason.find("time limit") != std::string::npos) {
        exit.cancelled = true;
        exit.message = "Step exceeded its deadline";
      } else if (!ev.exit_code) {
        exit.message = ev.reason.empty() ? "the step ended without an exit code" : ev.reason;
      }
      a.engine->OnPodExited(node, exit, ev.time);
    }
    a.touched = true;
  }
  for (auto it = active_.begin(); it != active_.end();) {
    Active& a = *it->second;
    auto wake = a.engine->NextWake();
    if (a.touched || (wake && *wake <= now)) {
      a.touched = false;
      Status s = Advance(a);
      if (!s.ok()) log::Warn("workflow {}: {}", a.row.id, s.ToString());
    }
    if (a.engine->finished()) {
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  UpdateTimer();
}

void WorkflowController::UpdateTimer() {
  std::optional<TimePoint> earliest;
  for (const auto& [id, a] : active_) {
    auto w = a->engine->NextWake();
    if (w && (!earliest || *w < *earliest)) earliest = w;
  }
  next_timer_ms_.store(earliest ? ToMillis(*earliest) : 0);
}

// ---- reading ----

WorkflowView WorkflowController::ViewOf(const WorkflowRow& row,
                                        const WorkflowEngine& engine) const {
  WorkflowView v;
  v.row = row;
  v.row.phase = std::string(workflow::RunPhaseName(engine.phase()));
  v.row.message = engine.message();
  v.row.started_at = engine.started_at();
  v.row.finished_at = engine.finished_at();
  v.progress = ProgressText(engine);
  v.spec = json::parse(row.spec, nullptr, false);
  v.nodes.reserve(engine.nodes().size());
  for (const auto& n : engine.nodes()) v.nodes.push_back(*n);
  v.outputs = engine.OutputParameters();
  v.artifacts = engine.OutputArtifacts();
  return v;
}

Result<WorkflowRow> WorkflowController::Visible(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, store_.GetWorkflow(id));
  if (!row || (!caller.is_admin() && row->owner != caller.id))
    return NotFound("workflow " + std::to_string(id) + " not found");
  return *row;
}

Result<WorkflowController::Active*> WorkflowController::ActiveVisible(const jobs::Caller& caller,
                                                                      int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  auto it = active_.find(id);
  if (it == active_.end())
    return FailedPrecondition("workflow " + std::to_string(id) + " has finished");
  return it->second.get();
}

Result<std::vector<WorkflowView>> WorkflowController::List(const jobs::Caller& caller,
                                                           const std::string& phase, int limit) {
  std::optional<UserId> owner;
  if (!caller.is_admin()) owner = caller.id;
  CORRAL_ASSIGN_OR_RETURN(auto rows, store_.ListWorkflows(owner, phase, limit));
  std::vector<WorkflowView> out;
  for (const auto& row : rows) {
    WorkflowView v;
    v.row = row;
    json st = json::parse(row.state, nullptr, false);
    v.progress = st.is_object() ? st.value("progress", std::string("0/0")) : "0/0";
    out.push_back(std::move(v));
  }
  return out;
}

Result<WorkflowView> WorkflowController::Get(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  auto it = active_.find(id);
  if (it != active_.end()) return ViewOf(it->second->row, *it->second->engine);
  CORRAL_ASSIGN_OR_RETURN(auto loaded, Load(row));
  return ViewOf(row, *loaded->engine);
}

Status WorkflowController::Stop(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(Active * a, ActiveVisible(caller, id));
  CORRAL_RETURN_IF_ERROR(a->engine->Stop("Stopped with strategy 'Stop'", clock_.Now()));
  CORRAL_RETURN_IF_ERROR(Advance(*a));
  UpdateTimer();
  return Status::Ok();
}

Status WorkflowController::Terminate(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(Active * a, ActiveVisible(caller, id));
  CORRAL_RETURN_IF_ERROR(a->engine->Terminate(clock_.Now()));
  CORRAL_RETURN_IF_ERROR(Advance(*a));
  UpdateTimer();
  return Status::Ok();
}

Status WorkflowController::Suspend(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(Active * a, ActiveVisible(caller, id));
  CORRAL_RETURN_IF_ERROR(a->engine->Suspend());
  return Advance(*a);
}

Status WorkflowController::Resume(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(Active * a, ActiveVisible(caller, id));
  CORRAL_RETURN_IF_ERROR(a->engine->Resume(clock_.Now()));
  CORRAL_RETURN_IF_ERROR(Advance(*a));
  UpdateTimer();
  return Status::Ok();
}

Status WorkflowController::Retry(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  if (active_.count(id))
    return FailedPrecondition("workflow " + std::to_string(id) + " is running");
  CORRAL_ASSIGN_OR_RETURN(auto a, Load(row));
  CORRAL_RETURN_IF_ERROR(a->engine->RetryFailed(clock_.Now()));
  Active& ref = *a;
  active_[id] = std::move(a);
  CORRAL_RETURN_IF_ERROR(Advance(ref));
  if (ref.engine->finished()) active_.erase(id);
  UpdateTimer();
  return Status::Ok();
}

Result<CreatedWorkflow> WorkflowController::Resubmit(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  json doc = json::parse(row.spec, nullptr, false);
  if (doc.is_discarded()) return Internal("stored workflow spec is not JSON");
  if (doc.contains("metadata") && doc["metadata"].contains("name")) {
    std::string base = doc["metadata"]["name"].get<std::string>();
    doc["metadata"].erase("name");
    doc["metadata"]["generateName"] = base + "-";
  }
  return Create(caller, doc);
}

Status WorkflowController::Delete(const jobs::Caller& caller, int64_t id) {
  CORRAL_ASSIGN_OR_RETURN(auto row, Visible(caller, id));
  if (active_.count(id) || !row.finished_at)
    return FailedPrecondition("workflow " + std::to_string(id) +
                              " is still running: stop or terminate it first");
  CORRAL_RETURN_IF_ERROR(store_.DeleteWorkflow(id));
  std::error_code ec;
  std::filesystem::remove_all(options_.steps_root + "/" + std::to_string(id), ec);
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, JobId>>> WorkflowController::LogJobs(
    const jobs::Caller& caller, int64_t id, const std::string& node) {
  CORRAL_ASSIGN_OR_RETURN(WorkflowView v, Get(caller, id));
  std::vector<std::pair<std::string, JobId>> out;
  bool found = false;
  for (const auto& n : v.nodes) {
    bool match = node.empty() || n.id == node || n.display_name == node || n.name == node;
    if (!match) continue;
    found = true;
    if (n.type == workflow::NodeType::kPod && n.job_id)
      out.emplace_back(n.display_name, JobId(*n.job_id));
  }
  if (!node.empty() && !found)
    return NotFound("workflow " + std::to_string(id) + " has no node '" + node + "'");
  return out;
}

// ---- templates ----

Result<std::vector<StoredTemplate>> WorkflowController::PutTemplates(
    const jobs::Caller& caller, const std::vector<json>& docs, std::vector<std::string>& warnings) {
  std::vector<WorkflowTemplateRow> rows;
  for (size_t i = 0; i < docs.size(); ++i) {
    const json& doc = docs[i];
    // In a body of several documents, the message says which one.
    auto in_document = [&](const Status& s) {
      if (docs.size() == 1) return s;
      return Status(s.code(), fmt::format("{} (document {})", s.message(), i), s.field());
    };
    auto w = workflow::CheckDocument(doc);
    if (!w.ok()) return in_document(w.status());
    std::string kind = doc.value("kind", std::string());
    if (kind != "WorkflowTemplate" && kind != "ClusterWorkflowTemplate")
      return in_document(
          InvalidArgument("kind", "must be WorkflowTemplate or ClusterWorkflowTemplate"));
    std::string name = doc.value("metadata", json::object()).value("name", std::string());
    if (name.empty()) return in_document(InvalidArgument("metadata.name", "is required"));
    for (auto& x : *w) warnings.push_back(x);
    rows.push_back({kind, name, caller.id, doc.dump(), clock_.Now()});
  }
  std::vector<StoredTemplate> out;
  for (const auto& r : rows) {
    CORRAL_ASSIGN_OR_RETURN(auto existing, store_.GetWorkflowTemplate(r.kind, r.name));
    if (existing && !caller.is_admin() && existing->owner != caller.id)
      return Status(StatusCode::kPermissionDenied,
                    r.kind + " '" + r.name + "' belongs to another user");
    CORRAL_RETURN_IF_ERROR(store_.PutWorkflowTemplate(r));
    out.push_back({r.kind, r.name, r.created_at});
  }
  return out;
}

Result<std::vector<StoredTemplate>> WorkflowController::ListTemplates(const jobs::Caller& caller) {
  CORRAL_ASSIGN_OR_RETURN(auto rows, store_.ListWorkflowTemplates());
  std::vector<StoredTemplate> out;
  for (const auto& r : rows) out.push_back({r.kind, r.name, r.created_at});
  return out;
}

Status WorkflowController::DeleteTemplate(const jobs::Caller& caller, const std::string& kind,
                                          const std::string& name) {
  CORRAL_ASSIGN_OR_RETURN(auto existing, store_.GetWorkflowTemplate(kind, name));
  if (!existing) return NotFound("no " + kind + " named '" + name + "'");
  if (!caller.is_admin() && existing->owner != caller.id)
    return Status(StatusCode::kPermissionDenied, kind + " '" + name + "' belongs to another user");
  return store_.DeleteWorkflowTemplate(kind, name);
}

// ---- services ----

std::optional<std::string> WorkflowController::MemoGet(const std::string& cache,
                                                       const std::string& key,
                                                       std::optional<int64_t> max_age_s) {
  auto v = store_.GetWorkflowMemo(cache, key);
  if (!v.ok() || !*v) return std::nullopt;
  json saved = json::parse(**v, nullptr, false);
  if (saved.is_discarded()) return std::nullopt;
  if (max_age_s && saved.contains("saved_at") &&
      ToMillis(clock_.Now()) - saved["saved_at"].get<int64_t>() > *max_age_s * 1000)
    return std::nullopt;
  return **v;
}

void WorkflowController::MemoPut(const std::string& cache, const std::string& key,
                                 const std::string& outputs) {
  json saved = json::parse(outputs, nullptr, false);
  if (saved.is_discarded()) return;
  saved["saved_at"] = ToMillis(clock_.Now());
  Status s = store_.PutWorkflowMemo(cache, key, saved.dump(), clock_.Now());
  if (!s.ok()) log::Warn("memoization cache: {}", s.ToString());
}

bool WorkflowController::Acquire(const std::string& lock, const std::string& holder, int limit) {
  auto& holders = locks_[lock];
  if (holders.count(holder)) return true;
  if (static_cast<int>(holders.size()) >= limit) return false;
  holders.insert(holder);
  return true;
}

void WorkflowController::Release(const std::string& lock, const std::string& holder) {
  auto it = locks_.find(lock);
  if (it == locks_.end()) return;
  it->second.erase(holder);
  if (it->second.empty()) locks_.erase(it);
  // Someone may be waiting for it.
  for (auto& [id, a] : active_) a->touched = true;
  if (wake_ && !wake_pending_) {
    wake_pending_ = true;
    wake_();
  }
}

}  // namespace corral::workflow_runner
